"""Nearest-neighbour peers: each practice's and network's 10 most similar orgs, and the
benchmark their published values give (docs/metrics.md, "Peer groups").

Similarity is by four context variables, each taken from the org's PUBLISHED row (segment
'all') at the latest month the variable has at that level: list size (registered
population, on a log scale), % aged 65+, deprivation (% of registered patients living in
the most deprived national IMD quintile; the warehouse holds LSOA deciles, not scores) and
diabetes register prevalence. Each is standardised across the level's orgs (z-score,
population standard deviation); the distance is Euclidean with equal weights, as in the
Model Health System and NHS RightCare "similar 10". Ties break by peer code.

An org whose variable is suppressed or missing has no peer group and is nobody's peer: a
published distance to a hidden value would let someone solve for it.

The peer benchmark of a row is the median of its peers' values for the same indicator,
period and segment, over the peers whose row is NOT suppressed (so it is never derived
from a hidden value and no hidden count can be recovered from it); none when fewer than
`MIN_PEERS_USED` are. The verdict compares the org's interval with it by the one rule of
`metrics.compare` (`compare_words`), as for the parent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metrics.compare import COMPARE_MACRO

PEER_LEVELS = ("practice", "network")
PEERS = 10  # the size of a peer group where the level has enough orgs
MIN_PEERS_USED = 5  # fewer unsuppressed peers than this: no benchmark
DISTANCE_DECIMALS = 9  # distances equal to this many places are a tie (broken by code)

# (column in peer_variables, the published indicator it is read from)
VARIABLES = (
    ("list_size", "registered_population"),
    ("pct_aged_65plus", "pct_aged_65plus"),
    ("deprivation", "pct_imd_q1"),
    ("prevalence", "prevalence_dm"),
)
LOGGED = ("list_size",)  # skewed: standardised on the log scale
COLUMNS = tuple(column for column, _ in VARIABLES)

# Each variable at its latest published month at each level, segment 'all'; an org with a
# suppressed or missing variable is dropped by the caller.
VARIABLES_SQL = """
WITH wanted AS (
    SELECT * FROM (VALUES {pairs}) t(variable, metric_id)
),
rows AS (
    SELECT w.variable, v.level, v.org_code, v.period_start, v.value, v.suppressed
    FROM snap.indicator_values v JOIN wanted w USING (metric_id)
    WHERE v.period_type = 'month' AND v.segment = 'all' AND list_contains($levels, v.level)
),
latest AS (
    SELECT variable, level, max(period_start) AS period_start FROM rows GROUP BY ALL
)
SELECT r.level, r.org_code, r.variable,
       CASE WHEN r.suppressed OR isnan(r.value) THEN NULL ELSE r.value END AS value
FROM rows r JOIN latest USING (variable, level, period_start)
"""


def read_variables(connection) -> pd.DataFrame:
    """Returns the peer variables (level, org_code, one column per variable) of every org
    of a peer level whose four variables are all published at their latest month."""
    pairs = ", ".join(f"('{column}', '{metric}')" for column, metric in VARIABLES)
    long = connection.execute(VARIABLES_SQL.format(pairs=pairs), {"levels": list(PEER_LEVELS)}).df()
    if long.empty:
        return pd.DataFrame(columns=["level", "org_code", *COLUMNS])
    wide = long.pivot_table(
        index=["level", "org_code"], columns="variable", values="value", dropna=False
    )
    wide = wide.reindex(columns=list(COLUMNS)).dropna().reset_index()
    wide = wide[wide["list_size"] > 0]  # an empty list has no log size to match on
    wide.columns.name = None
    return wide.sort_values(["level", "org_code"], ignore_index=True)


def standardised(frame: pd.DataFrame) -> np.ndarray:
    """Returns the variables of one level's orgs as z-scores (log list size; a variable
    that does not vary scores 0 everywhere)."""
    matrix = frame[list(COLUMNS)].to_numpy(float).copy()
    for index, column in enumerate(COLUMNS):
        if column in LOGGED:
            matrix[:, index] = np.log(matrix[:, index])
    spread = matrix.std(axis=0)
    spread[spread == 0] = 1.0
    return (matrix - matrix.mean(axis=0)) / spread


def nearest(variables: pd.DataFrame, peers: int = PEERS) -> pd.DataFrame:
    """Returns each org's peer group (level, org_code, peer_code, rank, distance): its
    `peers` nearest orgs of the same level (all the others where the level has fewer)."""
    groups = [_level_groups(frame, peers) for _, frame in variables.groupby("level", sort=True)]
    columns = ["level", "org_code", "peer_code", "rank", "distance"]
    if not groups:
        return pd.DataFrame(columns=columns)
    return pd.concat(groups, ignore_index=True)[columns]


def _level_groups(frame: pd.DataFrame, peers: int) -> pd.DataFrame:
    frame = frame.sort_values("org_code", ignore_index=True)
    scores = standardised(frame)
    distances = np.sqrt(((scores[:, None, :] - scores[None, :, :]) ** 2).sum(axis=2))
    codes = frame["org_code"].to_numpy()
    pairs = pd.DataFrame({
        "level": frame["level"].iloc[0],
        "org_code": np.repeat(codes, len(codes)),
        "peer_code": np.tile(codes, len(codes)),
        "distance": distances.ravel(),
    })  # fmt: skip
    pairs = pairs[pairs["org_code"] != pairs["peer_code"]]
    pairs["tie"] = pairs["distance"].round(DISTANCE_DECIMALS)
    pairs = pairs.sort_values(["org_code", "tie", "peer_code"], ignore_index=True)
    pairs["rank"] = pairs.groupby("org_code").cumcount() + 1
    return pairs[pairs["rank"] <= peers].drop(columns="tie")


# The rows a benchmark may be taken from: the peer levels' published, unsuppressed values
# (the month a TIMESTAMP, so that it reaches pandas through Arrow as datetime64).
USABLE_SQL = """
SELECT metric_id, period_type, period_start::TIMESTAMP AS period_start, level, org_code,
       segment, value
FROM snap.indicator_values
WHERE list_contains($levels, level) AND NOT suppressed AND value IS NOT NULL
  AND NOT isnan(value)
"""
BENCHMARK_KEYS = ["metric_id", "period_type", "period_start", "segment"]
BENCHMARK_CELLS = 20_000_000  # peer values gathered at once (160 MB): bounds the memory

# The verdicts of every practice and network row against its peer benchmark (computed in
# numpy by `peer_benchmarks`, registered as `peer_benchmarks`), by compare.py's one rule,
# as for the parent.
PEER_VALUES_SQL = """
CREATE TABLE snap.peer_values AS
WITH benchmarks AS (  -- the months were fetched as timestamps
    SELECT * REPLACE (period_start::DATE AS period_start) FROM peer_benchmarks
),
judged AS (
    SELECT o.metric_id, o.period_type, o.period_start, o.level, o.org_code, o.segment,
           CASE WHEN b.peers_used >= $minimum THEN b.median_value END AS peer_value,
           coalesce(b.peers_used, 0)::INTEGER AS peers_used, o.lower_95, o.upper_95,
           o.lower_998, o.upper_998, m.polarity
    FROM snap.indicator_values o
    JOIN snap.indicators m ON m.id = o.metric_id
    LEFT JOIN benchmarks b
      USING (metric_id, period_type, period_start, level, org_code, segment)
    WHERE list_contains($levels, o.level)
)
SELECT metric_id, period_type, period_start, level, org_code, segment, peer_value, peers_used,
       compare_words(lower_95, upper_95, peer_value, polarity) AS comparison_peer,
       compare_words(lower_998, upper_998, peer_value, polarity) AS comparison_peer_998
FROM judged
ORDER BY metric_id, level, org_code, segment, period_type, period_start
"""


def peer_benchmarks(usable: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Returns, for each org with peers and each indicator, period and segment in which any
    of its peers has a usable value, the median of those values (`median_value`) and how
    many there are (`peers_used`). `usable` has USABLE_SQL's columns; `groups` is `nearest`'s.
    """
    frames = [
        _level_benchmarks(usable[usable["level"] == level], level_groups)
        for level, level_groups in groups.groupby("level", sort=True)
    ]
    columns = [*BENCHMARK_KEYS, "level", "org_code", "median_value", "peers_used"]
    return pd.concat([usable.iloc[:0].assign(median_value=0.0, peers_used=0), *frames],
                     ignore_index=True)[columns]  # fmt: skip


def _level_benchmarks(usable: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """One level's benchmarks: its usable values as a (key, org) matrix, each org's peers'
    columns gathered and sorted, and the middle one or two averaged, as SQL's median."""
    key = usable.groupby(BENCHMARK_KEYS, sort=False, dropna=False).ngroup().to_numpy()
    keys = usable.iloc[np.unique(key, return_index=True)[1]][BENCHMARK_KEYS]
    orgs = pd.Index(pd.concat([usable["org_code"], groups["peer_code"]]).unique())
    values = np.full((len(keys), len(orgs) + 1), np.nan)  # the last column: no peer
    values[key, orgs.get_indexer(usable["org_code"])] = usable["value"].to_numpy(float)
    members, member = np.unique(groups["org_code"].to_numpy(), return_inverse=True)
    peers = np.full((len(members), groups["rank"].max()), len(orgs))
    peers[member, groups["rank"].to_numpy() - 1] = orgs.get_indexer(groups["peer_code"])
    median, used = _medians(values, peers)
    kept = used.ravel() > 0
    return keys.iloc[np.repeat(np.arange(len(keys)), len(members))[kept]].assign(
        level=groups["level"].iloc[0], org_code=np.tile(members, len(keys))[kept],
        median_value=median.ravel()[kept], peers_used=used.ravel()[kept],
    ).reset_index(drop=True)  # fmt: skip


def _medians(values: np.ndarray, peers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per key (row of `values`) and org (row of `peers`, its peers' columns): the median
    of the peers' values that are not NaN, and how many there are. Orgs are taken a block
    at a time, so that the gathered values stay within BENCHMARK_CELLS."""
    block = max(1, BENCHMARK_CELLS // max(1, len(values) * peers.shape[1]))
    medians, counts = [], []
    for first in range(0, len(peers), block):
        gathered = values[:, peers[first : first + block]]  # a copy: sorted in place
        gathered.sort(axis=2)  # NaN last
        used = np.count_nonzero(~np.isnan(gathered), axis=2)
        low = np.maximum(used - 1, 0) // 2  # the middle one or two, 0-based
        middle = [np.take_along_axis(gathered, at[..., None], axis=2)[..., 0]
                  for at in (low, used // 2)]  # fmt: skip
        # (a + b) / 2, as SQL's avg of the two (and x for one: (x + x) / 2 is x).
        medians.append((middle[0] + middle[1]) / 2)
        counts.append(used)
    return np.hstack(medians), np.hstack(counts)


VARIABLES_SCHEMA = (
    "level VARCHAR, org_code VARCHAR, list_size DOUBLE, pct_aged_65plus DOUBLE, "
    "deprivation DOUBLE, prevalence DOUBLE"
)
GROUPS_SCHEMA = "level VARCHAR, org_code VARCHAR, peer_code VARCHAR, rank INTEGER, distance DOUBLE"


def write_peers(connection) -> None:
    """Writes `peer_variables`, `peer_groups` and `peer_values` into the snapshot attached
    as `snap`, after disclosure control has written `snap.indicator_values`."""
    variables = read_variables(connection)
    groups = nearest(variables)
    _copy(connection, "snap.peer_variables", variables[["level", "org_code", *COLUMNS]],
          VARIABLES_SCHEMA)  # fmt: skip
    _copy(connection, "snap.peer_groups", groups, GROUPS_SCHEMA)
    levels = list(PEER_LEVELS)
    # Through Arrow: `.df()` would turn each string into a Python object on the way.
    usable = connection.sql(USABLE_SQL, params={"levels": levels}).to_arrow_table().to_pandas()
    connection.register("peer_benchmarks", peer_benchmarks(usable, groups))
    connection.execute(COMPARE_MACRO)
    connection.execute(PEER_VALUES_SQL, {"minimum": MIN_PEERS_USED, "levels": levels})
    connection.unregister("peer_benchmarks")


def _copy(connection, name: str, frame: pd.DataFrame, schema: str) -> None:
    # Typed, so that an empty frame (a system without peers) still makes the table.
    connection.register("peer_frame", frame)
    connection.execute(f"CREATE TABLE {name} ({schema})")
    connection.execute(f"INSERT INTO {name} SELECT * FROM peer_frame")
    connection.unregister("peer_frame")
