"""Plays the attacker against a published snapshot: which suppressed counts can be worked out.

The attacker sees every row of `indicator_values` that is not suppressed, at every level,
period type and segment, and knows which rows are suppressed. For the numerators, and
separately the denominators, they write down every relation of metrics.disclosure_relations
that holds exactly in the published counts (they are checked here on the true values: some
do not hold, for example care home admissions counted only at area and system level), then
solve them all together (metrics.disclosure_audit). Used by the disclosure test and by
bench/disclosure.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from metrics.disclosure_audit import determined, relation_matrix
from metrics.disclosure_relations import build_relations
from metrics.serving import rounded_indicators

ROWS_SQL = """
CREATE TEMP TABLE attacked AS
SELECT (row_number() OVER (ORDER BY v.metric_id, v.period_type, v.period_start, v.level,
                                    v.org_code, v.segment) - 1)::BIGINT AS row_key,
       v.metric_id, v.period_type, v.period_start, v.level, v.org_code, v.parent_code,
       v.segment, i.accumulate, v.method, v.numerator, v.denominator, v.suppressed
FROM snap.indicator_values v JOIN snap.indicators i ON i.id = v.metric_id
WHERE v.period_type <> 'rolling12' OR $rolling12
"""


@dataclass(frozen=True)
class Recovered:
    """What the attacker worked out exactly, as row flags over `rows`."""

    rows: pd.DataFrame  # metric_id, period_type, ..., numerator, denominator, suppressed
    numerator: np.ndarray  # the numerator of a suppressed row is determined
    denominator: np.ndarray  # its denominator is determined

    @property
    def small_counts(self) -> np.ndarray:
        """Rows whose recovered count is one that primary suppression hides: a numerator
        (not a mean's sum of scores) or count denominator from 1 to the threshold, or a
        proportion's complement (both recovered) in that range."""
        rows, threshold = self.rows, self.threshold
        small = lambda values: ((values >= 1) & (values <= threshold)).to_numpy()  # noqa: E731
        method = rows["method"].to_numpy()
        numerator = self.numerator & small(rows["numerator"]) & (method != "mean")
        denominator = self.denominator & small(rows["denominator"]) & (method != "count")
        complement = (
            self.numerator & self.denominator & (method == "proportion")
            & small(rows["denominator"] - rows["numerator"])
        )  # fmt: skip
        return numerator | denominator | complement

    @property
    def threshold(self) -> int:
        return int(self.rows.attrs["threshold"])


def attack(snapshot: str, rolling12: bool = False) -> Recovered:
    """Returns what the published rows of the snapshot file give away. The counts of
    indicators the snapshot rounds (HES rule) are not what they add up to, so only the
    relations of the others are solved (metrics.disclosure_interval_attack plays those)."""
    rows, matrix = read_published(snapshot, rolling12)
    matrix = relations_under(rows, matrix, rounded=False)
    hidden = rows["suppressed"].to_numpy(dtype=bool)
    found = {
        quantity: determined(holding_exactly(matrix, rows[quantity].to_numpy(float)), hidden)
        for quantity in ("numerator", "denominator")
    }
    return Recovered(rows, found["numerator"], found["denominator"])


def read_published(
    snapshot: str, rolling12: bool = False
) -> tuple[pd.DataFrame, sparse.csr_matrix]:
    """Returns the snapshot's rows (numbered by row_key, with the threshold and the ids of the
    indicators whose counts it rounds in `attrs`) and the relations × rows matrix of every
    relation between them (metrics.disclosure_relations)."""
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{snapshot}' AS snap (READ_ONLY)")
        connection.execute(ROWS_SQL, {"rolling12": rolling12})
        connection.execute("CREATE TEMP TABLE period_months AS SELECT * FROM snap.period_months")
        build_relations(connection, "attacked", rolling12=rolling12)
        rows = connection.execute("SELECT * FROM attacked ORDER BY row_key").df()
        rows.attrs["threshold"] = connection.execute(
            "SELECT suppression_threshold FROM snap.snapshot_info"
        ).fetchone()[0]
        members = connection.execute(
            "SELECT relation, row_key, coefficient FROM relation_members"
        ).fetchnumpy()
        connection.execute("USE snap")
        rows.attrs["rounded"] = rounded_indicators(connection)
    matrix = relation_matrix(
        members["relation"], members["row_key"], members["coefficient"], len(rows)
    )
    return rows, matrix


def relations_under(rows: pd.DataFrame, matrix, *, rounded: bool):
    """The relations of `matrix` between rows of indicators whose counts the snapshot rounds
    (`rounded`), or between rows of the others: a relation joins rows of one indicator.
    Every relation where the snapshot rounds every indicator's counts or none's."""
    of_rounded = rows["metric_id"].isin(rows.attrs["rounded"]).to_numpy()
    if of_rounded.all() or not of_rounded.any():
        return matrix
    in_rounded = (abs(matrix) @ of_rounded.astype(np.int32)) > 0
    return matrix[np.flatnonzero(in_rounded == rounded)]


def holding_exactly(matrix, values: np.ndarray):
    """Returns the relations that hold exactly in `values` (none with a missing value)."""
    missing = (abs(matrix) @ np.isnan(values).astype(float)) > 0
    residual = np.abs(matrix @ np.nan_to_num(values))
    return matrix[np.flatnonzero((residual < 1e-6) & ~missing)]
