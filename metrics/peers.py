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


# The benchmark of every practice and network row: the median of the unsuppressed peers'
# values, with the number used; the verdicts by compare.py's one rule, as for the parent.
# Only the usable rows of the peer levels, with only their keys and value, are joined to
# the peer groups (each row is repeated once per org it is a peer of), and the median is
# the mean of the middle one or two by a window rather than DuckDB's `median` aggregate:
# a window spills under the memory limit where a holistic aggregate's state does not
# (at 10 million spells the aggregate over every column ran out of memory). The mean of
# the middle values is exactly what `median` returns for DOUBLE.
PEER_VALUES_SQL = """
CREATE TABLE snap.peer_values AS
WITH usable AS (
    SELECT metric_id, period_type, period_start, level, org_code AS peer_code, segment, value
    FROM snap.indicator_values
    WHERE list_contains($levels, level) AND NOT suppressed AND value IS NOT NULL
      AND NOT isnan(value)
),
ranked AS (
    SELECT u.metric_id, u.period_type, u.period_start, u.level, g.org_code, u.segment, u.value,
           row_number() OVER (PARTITION BY u.metric_id, u.period_type, u.period_start, u.level,
                                           g.org_code, u.segment ORDER BY u.value) AS position,
           count(*) OVER (PARTITION BY u.metric_id, u.period_type, u.period_start, u.level,
                                       g.org_code, u.segment) AS used
    FROM usable u JOIN snap.peer_groups g USING (level, peer_code)
),
benchmarks AS (
    SELECT metric_id, period_type, period_start, level, org_code, segment,
           avg(value) AS median_value, any_value(used) AS peers_used
    FROM ranked WHERE position IN ((used + 1) // 2, (used + 2) // 2)
    GROUP BY ALL
),
judged AS (
    SELECT o.metric_id, o.period_type, o.period_start, o.level, o.org_code, o.segment,
           CASE WHEN b.peers_used >= $minimum THEN b.median_value END AS peer_value,
           coalesce(b.peers_used, 0)::INTEGER AS peers_used, o.lower_95, o.upper_95,
           o.lower_998, o.upper_998, m.polarity
    FROM snap.indicator_values o
    JOIN snap.indicators m ON m.id = o.metric_id
    LEFT JOIN benchmarks b USING (metric_id, period_type, period_start, level, org_code, segment)
    WHERE list_contains($levels, o.level)
)
SELECT metric_id, period_type, period_start, level, org_code, segment, peer_value, peers_used,
       compare_words(lower_95, upper_95, peer_value, polarity) AS comparison_peer,
       compare_words(lower_998, upper_998, peer_value, polarity) AS comparison_peer_998
FROM judged
ORDER BY metric_id, level, org_code, segment, period_type, period_start
"""

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
    connection.execute(COMPARE_MACRO)
    connection.execute(PEER_VALUES_SQL, {"minimum": MIN_PEERS_USED, "levels": list(PEER_LEVELS)})


def _copy(connection, name: str, frame: pd.DataFrame, schema: str) -> None:
    # Typed, so that an empty frame (a system without peers) still makes the table.
    connection.register("peer_frame", frame)
    connection.execute(f"CREATE TABLE {name} ({schema})")
    connection.execute(f"INSERT INTO {name} SELECT * FROM peer_frame")
    connection.unregister("peer_frame")
