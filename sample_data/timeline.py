"""Calendar arithmetic for the generator: the window, day numbers, months and timed events.

Dates are held as int64 day numbers (days since 1970-01-01) so that all arithmetic is plain numpy.
Ages follow the month-of-birth convention used throughout the sample data: a person's age on a
day is (calendar month of the day - birth month) // 12, i.e. the birthday counts from the 1st.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

NEVER = np.int64(10**7)  # a day number far beyond any window (year ~29000)
DAYS_PER_YEAR = 365.25


def day_number(d: date) -> int:
    """Returns the day number (days since 1970-01-01) of a date."""
    return (d - date(1970, 1, 1)).days


def to_date(day: int) -> date:
    """Returns the date of a day number."""
    return date(1970, 1, 1) + timedelta(days=int(day))


def month_index(days: np.ndarray) -> np.ndarray:
    """Returns months since 1970-01 for day numbers."""
    return (
        np.asarray(days, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )


def month_start(months: np.ndarray) -> np.ndarray:
    """Returns the day number of the first day of each month index."""
    m = np.asarray(months, dtype=np.int64).astype("datetime64[M]")
    return m.astype("datetime64[D]").astype(np.int64)


def day_of_month(days: np.ndarray) -> np.ndarray:
    """Returns the day of the month (1-31) of day numbers."""
    return np.asarray(days, dtype=np.int64) - month_start(month_index(days)) + 1


def age_on(birth_month: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Returns the age in whole years on the given days, by the month-of-birth convention."""
    return (month_index(days) - birth_month) // 12


def avoid_first_of_month(days: np.ndarray) -> np.ndarray:
    """Moves days that fall on the 1st of a month to the 2nd.

    Registration and death dates never fall on a population extract date (the 1st), so counts
    are the same whether an analyst treats the end date as inclusive or exclusive.
    """
    days = np.asarray(days, dtype=np.int64)
    return np.where(day_of_month(days) == 1, days + 1, days)


def default_end_month(today: date) -> date:
    """Returns the first day of the last complete calendar month before today."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Window:
    """The months covered: `months` calendar months ending with `end_month`."""

    end_month: date
    months: int
    start: int = field(init=False)  # day number of the first day
    extract: int = field(init=False)  # day number of the last day (the extract date)
    month_starts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        last = month_index(np.array([day_number(self.end_month)]))[0]
        starts = month_start(np.arange(last - self.months + 1, last + 2))
        object.__setattr__(self, "month_starts", starts[:-1])
        object.__setattr__(self, "start", int(starts[0]))
        object.__setattr__(self, "extract", int(starts[-1] - 1))

    @property
    def n_days(self) -> int:
        """Days in the window."""
        return self.extract - self.start + 1

    @property
    def years(self) -> float:
        """Length of the window in years."""
        return self.n_days / DAYS_PER_YEAR

    def window_month(self, days: np.ndarray) -> np.ndarray:
        """Returns the 0-based month of the window of each day (may be < 0 or >= months)."""
        return month_index(days) - month_index(np.array([self.start]))[0]

    def daily(self, monthly: np.ndarray) -> np.ndarray:
        """Expands one value per window month to one value per window day."""
        lengths = np.diff(np.append(self.month_starts, self.extract + 1))
        return np.repeat(np.asarray(monthly, dtype=float), lengths)


def cumulative(daily_rate: np.ndarray) -> np.ndarray:
    """Returns the cumulative intensity (length n_days + 1, starting at 0) of a daily profile."""
    return np.concatenate([[0.0], np.cumsum(daily_rate)])


def sample_days(rng, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draws one day offset per row in [lo, hi) with density proportional to the profile.

    `cum` is from `cumulative`; lo and hi are offsets from the window start (hi > lo).
    """
    a, b = cum[lo], cum[hi]
    u = a + rng.random(len(lo)) * (b - a)
    day = np.searchsorted(cum, u, side="right") - 1
    return np.clip(day, lo, hi - 1)


def first_event(rng, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray, rate: np.ndarray):
    """Returns the offset of the first event of a profiled Poisson process in [lo, hi), or -1.

    `rate` is each row's events per day at a profile value of 1.
    """
    target = cum[lo] + rng.exponential(1.0, len(lo)) / np.maximum(rate, 1e-12)
    hit = target < cum[hi]
    day = np.searchsorted(cum, target, side="right") - 1
    return np.where(hit, np.clip(day, lo, hi - 1), -1)


def seasonal(w: Window, amplitude: float) -> np.ndarray:
    """Monthly multiplier 1 + amplitude * cos(2 pi (calendar month - 1) / 12): peak in January."""
    cal = month_index(w.month_starts) % 12
    return 1 + amplitude * np.cos(2 * np.pi * cal / 12)
