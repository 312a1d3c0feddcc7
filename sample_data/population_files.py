"""NHS Digital "Patients Registered at a GP Practice" single-year-of-age files, one per month.

Counts are the people of the patients feed registered on each extract date (the 1st of each
month in the window) by sex and age on that date. Persons with sex 9 are left out of the sex and
age breakdown, as in the published files, so the ALL rows equal MALE + FEMALE. Registration
and death dates never fall on the 1st, so no inclusive/exclusive ambiguity arises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from .ids import constant, labels
from .organisations import Practice
from .people import People
from .timeline import Window, age_on, to_date
from .writer import CsvFeedWriter

COLUMNS = [
    "PUBLICATION",
    "EXTRACT_DATE",
    "TYPE",
    "CODE",
    "POSTCODE",
    "SEX",
    "AGE",
    "NUMBER_OF_PATIENTS",
]
PUBLICATION = "Patients Registered at a GP Practice"
AGE_LABELS = tuple(str(a) for a in range(95)) + ("95+", "ALL")
SEXES = ("MALE", "FEMALE", "ALL")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def extract_label(day: int) -> str:
    """The EXTRACT_DATE of a day number, e.g. 01OCT2026."""
    d = to_date(day)
    return f"{d.day:02d}{_MONTHS[d.month - 1]}{d.year}"


def file_name(day: int) -> str:
    """The file name of the extract taken on a day."""
    d = to_date(day)
    return f"gp-reg-pat-prac-sing-age-{d.year:04d}-{d.month:02d}.csv"


class PopulationCounts:
    """Accumulates registered counts: month x practice x sex (male, female) x age 0..95+."""

    def __init__(self, practices: list[Practice], w: Window):
        self.practices, self.w = practices, w
        self.counts = np.zeros((w.months, len(practices), 2, 96), dtype=np.int32)

    def add(self, p: Practice, pp: People, reg_to: np.ndarray) -> None:
        """Counts one practice's people on every extract date."""
        known = pp.sex != 9
        for m, day in enumerate(self.w.month_starts):
            on = known & (pp.reg_from <= day) & (reg_to >= day)
            age = np.minimum(age_on(pp.birth_month[on], day), 95)
            cell = (pp.sex[on].astype(np.int64) - 1) * 96 + age
            self.counts[m, p.index] = np.bincount(cell, minlength=192).reshape(2, 96)

    def month_table(self, m: int) -> pa.Table:
        """The rows of one month's file: per practice the detail rows then the ALL totals."""
        n_p = len(self.practices)
        c = self.counts[m]
        all_rows = np.concatenate([c, c.sum(axis=2, keepdims=True)], axis=2)  # (p, 2, 97)
        total = all_rows.sum(axis=1, keepdims=True)  # (p, 1, 97)
        grid = np.concatenate([all_rows, total], axis=1)  # (p, 3, 97)
        sex = np.broadcast_to(np.arange(3)[None, :, None], grid.shape).ravel()
        age = np.broadcast_to(np.arange(97)[None, None, :], grid.shape).ravel()
        prac = np.broadcast_to(np.arange(n_p)[:, None, None], grid.shape).ravel()
        keep = ~((sex == 2) & (age < 96))  # ALL sexes only for ALL ages
        n = int(keep.sum())
        return pa.table(
            {
                "PUBLICATION": constant(PUBLICATION, n),
                "EXTRACT_DATE": constant(extract_label(self.w.month_starts[m]), n),
                "TYPE": constant("GP", n),
                "CODE": labels([p.code for p in self.practices], prac[keep]),
                "POSTCODE": labels([p.postcode for p in self.practices], prac[keep]),
                "SEX": labels(SEXES, sex[keep]),
                "AGE": labels(AGE_LABELS, age[keep]),
                "NUMBER_OF_PATIENTS": pa.array(grid.ravel()[keep], pa.int64()),
            }
        )

    def write(self, con, out_dir: Path) -> list[Path]:
        """Writes one file per month; returns the paths."""
        paths = []
        for m, day in enumerate(self.w.month_starts):
            path = out_dir / "population" / file_name(day)
            writer = CsvFeedWriter(con, path, COLUMNS)
            writer.add(self.month_table(m))
            writer.close()
            paths.append(path)
        return paths
