"""Statistical process control: NHS England's Making Data Count XmR charts.

The rules are those of the R package NHSRplotthedots 0.2.x, as METRICS.md sets out:

* limits: mean ± 2.66 × mean moving range (mR̄), each rebased segment on its own and from
  its first ``baseline_points`` points when given. Moving ranges of 3.267 × mR̄ or more are
  screened out once before the limits are computed (on by default).
* special causes, in precedence order (a point reports the first that applies):
  a point beyond the limits; a trend of 7 points (6 rises or 6 falls; a tie breaks it);
  two of three points beyond the 2σ line, all three on one side of the mean (only the
  points beyond 2σ are flagged); a shift of 7 points on one side of the mean (a point on
  the mean breaks it). Runs and trends never cross a rebase.
* point type: the special cause's direction (side of the mean; for a trend, the trend's
  direction) against the improvement direction.
* variation icon: the last point's type. Assurance icon: the target against the latest
  process limits.

Missing values (NaN) are absent: the observed points either side of a gap are neighbours
for moving ranges, trends and runs, and the missing rows come back with no rule.

One vectorised core serves ``spc`` (one series) and ``spc_batch`` (thousands of series in
one long frame): series and segments are concatenated into flat arrays and every step is
a whole-array numpy operation, with segment boundaries marked rather than looped over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from metrics.assurance import NAMES, assurance_codes

D2 = 1.128  # bias constant of a two-point moving range: sigma = mR̄ / d2
LIMIT_FACTOR = 2.66  # 3 / d2, the three-sigma limits
# NHSRplotthedots draws the 2σ line two thirds of the way to the limit (2 × 2.66 / 3 =
# 1.7733); 2 / d2 would be 1.7730. The package's line is kept so that flags agree with it.
TWO_SIGMA_FACTOR = 2 * LIMIT_FACTOR / 3
SCREEN_FACTOR = 3.267  # D4 for n = 2: the upper limit of the moving-range chart
# The fewest points a phase needs for its mean and limits to be published, and a series for
# its icons (metrics.series). NHSRplotthedots warns below 12 points per rebase group, whose
# limits its vignette "Number of points required" calls only "trial limits"
# (R/ptd_add_short_group_warnings.R, warning_threshold = 12); Making Data Count guidance asks
# for 15 or more before a chart's limits are relied on, and the project uses that.
MINIMUM_POINTS = 15

IMPROVEMENT_DIRECTIONS = {"increase": 1, "decrease": -1, "neutral": 0}

# The core works in small integer codes; these tables turn them into the published names.
NO_RULE, OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT = range(5)
RULE_NAMES = np.array([None, "outside_limits", "trend", "two_in_three", "shift"], dtype=object)
MISSING, COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL = range(5)
POINT_TYPE_NAMES = np.array(
    [None, "common_cause", "improvement", "concern", "neutral"], dtype=object
)
# Variation codes are the point-type codes, with neutral split into low (4) and high (5).
VARIATION_NAMES = np.array(
    [
        None,
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
        "special_cause_neutral_low",
        "special_cause_neutral_high",
    ],
    dtype=object,
)
ASSURANCE_NAMES = np.array(NAMES, dtype=object)


class SpcOptions(NamedTuple):
    """The chart options shared by every series of a call."""

    screen_outliers: bool = True
    baseline_points: int | None = None
    shift_points: int = 7
    trend_points: int = 7

    def checked(self) -> SpcOptions:
        if self.baseline_points is not None and self.baseline_points < 1:
            raise ValueError("baseline_points must be a positive number of points")
        if min(self.shift_points, self.trend_points) < 2:
            raise ValueError("shift_points and trend_points must be at least 2")
        return self


class BatchResult(NamedTuple):
    """``points``: the input rows plus the chart columns; ``summary``: one row per series."""

    points: pd.DataFrame
    summary: pd.DataFrame


class _Limits(NamedTuple):
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    lower_two_sigma: np.ndarray
    upper_two_sigma: np.ndarray

    @classmethod
    def around(cls, mean: np.ndarray, mean_moving_range: np.ndarray) -> _Limits:
        width, two_sigma = LIMIT_FACTOR * mean_moving_range, TWO_SIGMA_FACTOR * mean_moving_range
        return cls(mean, mean - width, mean + width, mean - two_sigma, mean + two_sigma)


class _Chart(NamedTuple):
    """Per-row results of the core, in the order of the rows it was given."""

    moving_range: np.ndarray
    limits: _Limits
    rule: np.ndarray
    direction: np.ndarray
    point_type: np.ndarray


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def spc(
    values: Sequence[float] | np.ndarray | pd.Series,
    improvement: str = "increase",
    target: float | None = None,
    screen_outliers: bool = True,
    baseline_points: int | None = None,
    rebase_at: Sequence[Any] | None = None,
    shift_points: int = 7,
    trend_points: int = 7,
    dates: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """One XmR chart: a row per point with its limits, special-cause rule and point type.

    ``rebase_at`` holds row indices, or dates when ``dates`` is given (a date starts the
    segment at the first point on or after it). Columns: ``date`` (with dates), ``value``,
    ``moving_range``, ``mean``, ``lower_limit``, ``upper_limit``, ``rule``, ``point_type``,
    ``direction`` (+1 above the mean or rising, -1 below or falling, 0 without a rule) and
    ``target`` when one is given.
    """
    options = SpcOptions(screen_outliers, baseline_points, shift_points, trend_points).checked()
    y = np.asarray(values, dtype=float)
    segment = np.cumsum(_rebase_flags(rebase_at, len(y), dates)) - 1
    improvement_codes = np.full(len(y), _improvement_code(improvement), dtype=np.int8)
    frame = _chart_frame(y, _chart(y, segment, improvement_codes, options))
    if dates is not None:
        frame.insert(0, "date", pd.to_datetime(pd.Series(list(dates))).to_numpy())
    if target is not None:
        frame["target"] = float(target)
    return frame


def spc_summary(
    frame_or_result: pd.DataFrame | Sequence[float] | np.ndarray,
    improvement: str,
    target: float | None = None,
) -> dict[str, str | None]:
    """The variation and assurance icons of a chart from ``spc`` (or of raw values).

    ``variation`` comes from the last observed point: "common_cause",
    "special_cause_improvement", "special_cause_concern", or "special_cause_neutral_high" /
    "special_cause_neutral_low". ``assurance`` is "consistent_pass", "consistent_fail",
    "inconsistent", or None without a target (taken from the frame's ``target`` column when
    not given) or with a neutral improvement direction.
    """
    frame = frame_or_result
    if not isinstance(frame, pd.DataFrame):
        frame = spc(frame, improvement)
    if target is None and "target" in frame and len(frame):
        target = frame["target"].iloc[-1]
    observed = frame[frame["value"].notna()]
    if observed.empty:
        return {"variation": None, "assurance": None}
    last = observed.iloc[-1]
    variation, assurance = _icon_codes(
        np.array([last["rule"] is not None]),
        np.array([last["direction"]]),
        np.array([last["lower_limit"]]),
        np.array([last["upper_limit"]]),
        np.array([np.nan if target is None else float(target)]),
        np.array([_improvement_code(improvement)]),
    )
    return {"variation": VARIATION_NAMES[variation[0]], "assurance": ASSURANCE_NAMES[assurance[0]]}


def spc_batch(
    frame: pd.DataFrame,
    improvement: str | Mapping[Any, str] | None = None,
    target: float | Mapping[Any, float] | None = None,
    *,
    screen_outliers: bool = True,
    baseline_points: int | None = None,
    shift_points: int = 7,
    trend_points: int = 7,
) -> BatchResult:
    """Many XmR charts at once, from a long frame of ``series_id``, ``position``, ``value``.

    ``improvement`` is one direction for every series, a mapping from series_id, or None
    to read an ``improvement`` column. ``target`` likewise (a ``target`` column, else no
    target). An optional boolean ``rebase`` column starts a new segment at its row.
    ``points`` keeps the input's rows and order and adds the columns of ``spc``;
    ``summary`` has one row per series: ``series_id``, ``variation``, ``assurance``.
    """
    options = SpcOptions(screen_outliers, baseline_points, shift_points, trend_points).checked()
    rows = _BatchRows.from_frame(frame, improvement, target)
    chart = _chart(rows.values, rows.segment, rows.improvement, options)
    return BatchResult(_batch_points(frame, rows, chart), _batch_summary(rows, chart))


def sigma(values: Sequence[float] | np.ndarray, screen_outliers: bool = True) -> float:
    """The process standard deviation estimated from moving ranges: mR̄ / 1.128."""
    y = np.asarray(values, dtype=float)
    y = y[~np.isnan(y)]
    segment = np.zeros(len(y), dtype=np.intp)
    options = SpcOptions(screen_outliers=screen_outliers)
    _, spread, _ = _centre_and_spread(y, segment, _segment_starts(segment), 1, options)
    return float(spread[0] / D2)


# ---------------------------------------------------------------------------------------
# The core: flat arrays of rows, ordered by series then position, with segment numbers
# ---------------------------------------------------------------------------------------


def _chart(
    values: np.ndarray, segment: np.ndarray, improvement: np.ndarray, options: SpcOptions
) -> _Chart:
    """Limits, rules and point types for rows whose segment numbers run 0, 1, 2, ..."""
    observed = ~np.isnan(values)
    y, y_segment = values[observed], segment[observed]
    starts = _segment_starts(y_segment)
    n_segments = int(segment[-1]) + 1 if len(segment) else 0
    centre, spread, moving_range = _centre_and_spread(y, y_segment, starts, n_segments, options)
    limits = _Limits.around(centre[segment], spread[segment])  # missing rows have limits too
    point_limits = _Limits(*(part[observed] for part in limits))
    rule, direction = _special_causes(y, point_limits, starts, options)
    point_type = _point_types(rule != NO_RULE, direction, improvement[observed])
    return _Chart(
        _on_rows(observed, moving_range, np.nan),
        limits,
        _on_rows(observed, rule, NO_RULE),
        _on_rows(observed, direction, 0),
        _on_rows(observed, point_type, MISSING),
    )


def _centre_and_spread(
    y: np.ndarray, segment: np.ndarray, starts: np.ndarray, n_segments: int, options: SpcOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: the mean and the (screened) mean moving range; per point: its range."""
    baseline_end = options.baseline_points or len(y) + 1
    in_baseline = _position_in_segment(starts) < baseline_end
    centre = _segment_means(y, in_baseline, segment, n_segments)
    moving_range = _moving_ranges(y, starts)
    # A range belongs to the baseline when its later point does; then so does the earlier.
    usable = in_baseline & ~np.isnan(moving_range)
    spread = _segment_means(moving_range, usable, segment, n_segments)
    if options.screen_outliers:
        cut_off = SCREEN_FACTOR * spread[segment]
        # With mR̄ = 0 every range would be "3.267 × mR̄ or more": nothing to screen.
        usable &= ~((moving_range >= cut_off) & (cut_off > 0))
        spread = _segment_means(moving_range, usable, segment, n_segments)
    return centre, spread, moving_range


def _special_causes(
    y: np.ndarray, limits: _Limits, starts: np.ndarray, options: SpcOptions
) -> tuple[np.ndarray, np.ndarray]:
    """The first rule each point breaks, in MDC precedence, and the special cause's sign."""
    side = np.sign(y - limits.mean)
    outside = (y > limits.upper) | (y < limits.lower)
    # "Beyond 2σ" includes beyond the limits (see the report on readings of the rules).
    beyond_two_sigma = (y > limits.upper_two_sigma) | (y < limits.lower_two_sigma)
    in_trend, trend_direction = _trends(y, starts, options.trend_points)
    rule = np.select(
        [outside, in_trend, _two_in_three(beyond_two_sigma, side, starts),
         _shifts(side, starts, options.shift_points)],
        [OUTSIDE_LIMITS, TREND, TWO_IN_THREE, SHIFT],
        NO_RULE,
    ).astype(np.int8)  # fmt: skip
    direction = np.where(rule == TREND, trend_direction, side)
    return rule, np.where(rule == NO_RULE, 0, direction).astype(np.int8)


def _trends(y: np.ndarray, starts: np.ndarray, trend_points: int) -> tuple[np.ndarray, ...]:
    """Points in a run of ``trend_points - 1`` rises (or falls), and the run's direction."""
    step = np.zeros(len(y))
    step[1:] = np.sign(np.diff(y))
    step[starts] = 0  # no step across a segment boundary; a tie is a 0 step and breaks too
    step_in_trend = (step != 0) & (_run_lengths(step, starts) >= trend_points - 1)
    # A point is in a trend if the step into it, or the step out of it, is.
    step_out_in_trend = np.append(step_in_trend[1:], False)
    # At a peak shared by a rise and a fall, the later trend's direction wins, as in R.
    direction = np.where(step_out_in_trend, np.append(step[1:], 0), step)
    return step_in_trend | step_out_in_trend, direction


def _two_in_three(beyond: np.ndarray, side: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Points beyond 2σ in a window of three on one side of the mean with two beyond 2σ."""
    covered = np.zeros(len(side), dtype=bool)
    if len(side) < 3:
        return covered
    # Window j holds points j, j+1 and j+2, which must share a segment.
    one_segment = ~starts[1:-1] & ~starts[2:]
    one_side = (side[:-2] != 0) & (side[:-2] == side[1:-1]) & (side[1:-1] == side[2:])
    two_beyond = beyond[:-2].astype(np.int8) + beyond[1:-1] + beyond[2:] >= 2
    window = one_segment & one_side & two_beyond
    for offset in range(3):  # each point can sit first, second or third in a window
        covered[offset : len(side) - 2 + offset] |= window
    return covered & beyond


def _shifts(side: np.ndarray, starts: np.ndarray, shift_points: int) -> np.ndarray:
    """Points in a run of ``shift_points`` or more on one side of the mean."""
    return (side != 0) & (_run_lengths(side, starts) >= shift_points)


def _point_types(special: np.ndarray, direction: np.ndarray, improvement: np.ndarray) -> np.ndarray:
    """Special cause × improvement direction: improvement, concern or neutral."""
    return np.select(
        [~special, improvement == 0, direction * improvement > 0],
        [COMMON_CAUSE, NEUTRAL, IMPROVEMENT],
        CONCERN,
    ).astype(np.int8)


def _icon_codes(
    special: np.ndarray,
    direction: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    target: np.ndarray,
    improvement: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Variation and assurance codes from each series' last observed point."""
    point_type = _point_types(special, direction, improvement)
    variation = point_type + ((point_type == NEUTRAL) & (direction > 0))
    return variation, assurance_codes(lower, upper, target, improvement)


# ---------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------


def _segment_starts(segment: np.ndarray) -> np.ndarray:
    starts = np.ones(len(segment), dtype=bool)
    starts[1:] = segment[1:] != segment[:-1]
    return starts


def _position_in_segment(starts: np.ndarray) -> np.ndarray:
    index = np.arange(len(starts))
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def _moving_ranges(y: np.ndarray, starts: np.ndarray) -> np.ndarray:
    moving_range = np.full(len(y), np.nan)
    moving_range[1:] = np.abs(np.diff(y))
    moving_range[starts] = np.nan  # a segment's first point has no predecessor
    return moving_range


def _segment_means(
    values: np.ndarray, include: np.ndarray, segment: np.ndarray, n_segments: int
) -> np.ndarray:
    """Mean of the included values of each segment (NaN for a segment with none)."""
    totals = np.bincount(segment, np.where(include, values, 0.0), n_segments)
    counts = np.bincount(segment, include, n_segments)
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / counts


def _run_lengths(keys: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For each element, the length of the run of equal keys it is in (runs stop at starts)."""
    new_run = starts.copy()
    new_run[1:] |= keys[1:] != keys[:-1]
    run = np.cumsum(new_run) - 1
    return np.bincount(run)[run] if len(run) else run


def _on_rows(observed: np.ndarray, point_values: np.ndarray, fill: Any) -> np.ndarray:
    """Spread per-observed-point values back onto all rows, ``fill`` on missing rows."""
    rows = np.full(len(observed), fill, dtype=point_values.dtype)
    rows[observed] = point_values
    return rows


def _on_index(column: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    # dtype=object keeps None as None: pandas 3 would make a str column of names, with NaN.
    return pd.Series(column, index=index, dtype=column.dtype)


def _chart_columns(chart: _Chart) -> dict[str, np.ndarray]:
    return {
        "moving_range": chart.moving_range,
        "mean": chart.limits.mean,
        "lower_limit": chart.limits.lower,
        "upper_limit": chart.limits.upper,
        "rule": RULE_NAMES[chart.rule],
        "point_type": POINT_TYPE_NAMES[chart.point_type],
        "direction": chart.direction,
    }


def _chart_frame(y: np.ndarray, chart: _Chart) -> pd.DataFrame:
    columns = {"value": y} | _chart_columns(chart)
    return pd.DataFrame({name: _on_index(column) for name, column in columns.items()})


# ---------------------------------------------------------------------------------------
# Inputs: rebases of one series, rows of a batch
# ---------------------------------------------------------------------------------------


def _improvement_code(improvement: str) -> int:
    try:
        return IMPROVEMENT_DIRECTIONS[improvement]
    except (KeyError, TypeError):
        raise ValueError(
            f"improvement must be one of {sorted(IMPROVEMENT_DIRECTIONS)}, not {improvement!r}"
        ) from None


def _rebase_flags(
    rebase_at: Sequence[Any] | None, n_rows: int, dates: Sequence[Any] | None
) -> np.ndarray:
    """True on each row that starts a segment: the first row and every rebase."""
    rows = [] if rebase_at is None else list(rebase_at)
    if dates is not None:
        rows = _rows_of_dates(rows, dates, n_rows)
    flags = np.zeros(n_rows, dtype=bool)
    flags[:1] = True
    for row in rows:
        if not 0 <= int(row) < n_rows:
            raise ValueError(f"rebase_at {row!r} is outside the series")
        flags[int(row)] = True
    return flags


def _rows_of_dates(rebase_dates: list[Any], dates: Sequence[Any], n_rows: int) -> list[int]:
    """A rebase date starts the segment at the first point on or after it."""
    stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(dates))))
    if len(stamps) != n_rows or not stamps.is_monotonic_increasing:
        raise ValueError("dates must be increasing, with one entry per value")
    wanted = pd.DatetimeIndex(pd.to_datetime(pd.Series(rebase_dates, dtype=object)))
    return stamps.searchsorted(wanted, side="left").tolist()


class _BatchRows(NamedTuple):
    """A batch frame's rows in (series, position) order, as the core wants them."""

    order: np.ndarray  # sorted row -> input row
    series: np.ndarray  # series number of each sorted row
    series_ids: pd.Index  # series number -> series_id
    values: np.ndarray
    segment: np.ndarray
    improvement: np.ndarray
    target: np.ndarray  # per series

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, improvement: Any, target: Any) -> _BatchRows:
        codes, series_ids = pd.factorize(frame["series_id"], sort=False)
        order = _batch_order(codes, frame["position"].to_numpy())
        series = codes[order]
        starts = _segment_starts(series)
        if "rebase" in frame:
            starts |= frame["rebase"].to_numpy(dtype=bool)[order]
        return cls(
            order,
            series,
            pd.Index(series_ids),
            frame["value"].to_numpy(dtype=float)[order],
            np.cumsum(starts) - 1,
            _batch_improvement(frame, improvement, codes, series_ids)[order],
            _batch_target(frame, target, series, series_ids, order),
        )

    def last_rows(self) -> np.ndarray:
        """Each series' last observed row (sorted numbering), or -1 with none observed."""
        index = np.where(np.isnan(self.values), -1, np.arange(len(self.values)))
        return np.maximum.reduceat(index, self.first_rows()) if len(index) else index

    def first_rows(self) -> np.ndarray:
        return np.flatnonzero(_segment_starts(self.series))


def _batch_order(codes: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Row order by series then position; the identity when the frame is already sorted."""
    step_series, step_position = np.diff(codes), np.diff(position)
    if np.all((step_series > 0) | ((step_series == 0) & (step_position > 0))):
        return np.arange(len(codes))
    return np.lexsort((position, codes))


def _batch_improvement(
    frame: pd.DataFrame, improvement: Any, codes: np.ndarray, series_ids: Any
) -> np.ndarray:
    """Improvement code per input row, from one direction, a mapping or a column."""
    if isinstance(improvement, str):
        return np.full(len(codes), _improvement_code(improvement), dtype=np.int8)
    if isinstance(improvement, Mapping):
        per_series = [_improvement_code(improvement.get(sid)) for sid in series_ids]
        return np.asarray(per_series, dtype=np.int8)[codes]
    # A column has few distinct directions: look each up once, not once per row.
    direction_codes, directions = pd.factorize(frame["improvement"])
    table = np.array([_improvement_code(direction) for direction in directions], dtype=np.int8)
    return table[direction_codes]


def _batch_target(
    frame: pd.DataFrame, target: Any, series: np.ndarray, series_ids: Any, order: np.ndarray
) -> np.ndarray:
    """Target per series: a mapping, one number, or the series' last ``target`` value."""
    if isinstance(target, Mapping):
        return np.array([target.get(sid, np.nan) for sid in series_ids], dtype=float)
    if target is not None:
        return np.full(len(series_ids), float(target))
    if "target" not in frame:
        return np.full(len(series_ids), np.nan)
    per_row = frame["target"].to_numpy(dtype=float)[order]
    last_rows = np.append(np.flatnonzero(np.diff(series)), len(series) - 1)
    return per_row[last_rows] if len(series) else per_row


def _batch_points(frame: pd.DataFrame, rows: _BatchRows, chart: _Chart) -> pd.DataFrame:
    """The input rows, in input order, plus the chart columns."""
    restore = np.empty_like(rows.order)
    restore[rows.order] = np.arange(len(rows.order))
    columns = _chart_columns(chart)
    return frame.assign(
        **{name: _on_index(column[restore], frame.index) for name, column in columns.items()}
    )


def _batch_summary(rows: _BatchRows, chart: _Chart) -> pd.DataFrame:
    """One row per series: its variation and assurance icons."""
    last = rows.last_rows()
    observed = last >= 0
    at = np.where(observed, last, 0)  # a series with nothing observed gets no icons
    variation, assurance = _icon_codes(
        observed & (chart.rule[at] != NO_RULE),
        chart.direction[at],
        np.where(observed, chart.limits.lower[at], np.nan),
        np.where(observed, chart.limits.upper[at], np.nan),
        rows.target,
        rows.improvement[at],
    )
    variation = np.where(observed, variation, MISSING)
    return pd.DataFrame(
        {
            "series_id": rows.series_ids,
            "variation": _on_index(VARIATION_NAMES[variation]),
            "assurance": _on_index(ASSURANCE_NAMES[assurance]),
        }
    )
