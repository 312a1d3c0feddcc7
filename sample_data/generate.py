"""The one entry point: generate the sample system's feed files (called by `wholesystem sample`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from datetime import date
from pathlib import Path

from . import ae, aggregates, apc, deprivation, gp_events, person_feeds, social_care, survey
from .diagnoses import ICD
from .draws import stream
from .health import make_health
from .ids import person_key
from .life import make_life
from .organisations import (
    ORGANISATION_TEXT_COLUMNS,
    build_lsoas,
    build_practices,
    organisations_table,
)
from .people import make_people
from .population_files import PopulationCounts
from .spells import make_spells
from .timeline import Window, default_end_month
from .writer import CsvFeedWriter, connect

FEEDS = (
    "organisations",
    "population",
    "patients",
    "conditions",
    "gp_events",
    "apc_spells",
    "deaths",
    "care_home_admissions",
    "survey_responses",
    "aggregate_indicators",
    "lsoa_deprivation",
    "ae_attendances",
)
COLUMNS = {
    "organisations": [*ORGANISATION_TEXT_COLUMNS, "valid_from", "valid_to"],
    "patients": [
        "person_id",
        "gpprac",
        "sex",
        "birth_month",
        "lsoa",
        "registered_from",
        "registered_to",
        "care_home_resident",
        "frailty",
        "risk_score",
        "high_risk_register",
    ],
    "conditions": ["person_id", "condition", "diagnosed_on", "resolved_on"],
    "gp_events": ["person_id", "event_date", "code", "value"],
    "apc_spells": [
        "spell_id",
        "person_id",
        "gpprac",
        "procode3",
        "admidate",
        "disdate",
        "admimeth",
        "admisorc",
        "disdest",
        "classpat",
        "startage",
        "sex",
        "diag_4_01",
        "diag_4_concat",
        "opertn_4_concat",
        "tretspef",
    ],
    "deaths": ["person_id", "dod", "sex", "age", "gpprac", "pod", "icd10u"],
    "care_home_admissions": [
        "event_id",
        "person_id",
        "la_code",
        "admission_date",
        "setting",
        "permanent",
        "age",
        "sex",
    ],
    "survey_responses": [
        "response_id",
        "gpprac",
        "respondent",
        "response_date",
        "eq5d_version",
        "eq5d_mo",
        "eq5d_sc",
        "eq5d_ua",
        "eq5d_pd",
        "eq5d_ad",
        "eq5d_vas",
        "coordinated_care",
        "self_manage_confidence",
    ],
    "aggregate_indicators": [
        "indicator_id",
        "org_code",
        "period_start",
        "period_end",
        "numerator",
        "denominator",
    ],
    "lsoa_deprivation": deprivation.COLUMNS,
    "ae_attendances": ae.COLUMNS,
}
NEEDS_PEOPLE = set(FEEDS) - {"organisations", "survey_responses", "lsoa_deprivation"}


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: float = 1.0,
    end_month: date | None = None,
    months: int = 36,
    feeds: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[Path]]:
    """Writes the sample system's feed files under out_dir; returns feed name -> files written.

    The system has two areas (about 300,000 and 200,000 registered people at scale 1), six
    localities, 11 GP networks and 60 practices; see sample_data/README.md for its stories.

    Args:
        out_dir: directory for the files (created if missing). Files: `<feed>.csv`, and for
            population one NHS Digital style file per month, `population/gp-reg-pat-prac-sing-
            age-YYYY-MM.csv`. `lsoa_deprivation.csv` is a reference file beyond the contract:
            every sample LSOA with its IMD decile, under MHCLG's published header.
            `ae_attendances.csv` is in NHS Digital's HES A&E layout, drawn from its own
            random stream so that the other files are the same with or without it.
        seed: random seed; the same arguments give byte-identical files.
        scale: multiplies the registered population. Up to 2 the 60 practices grow; from 2 the
            networks are replicated floor(scale) times (new codes) and each list is
            scale / copies times its base size, so practices stay plausible in size; every
            5.5 network copies make a new copy of the two areas and their localities, so that
            scale 114 has England's shape (sample_data/organisations.py). Generation runs
            practice by practice, so memory stays bounded at any scale.
        end_month: first day of the last month covered; default the last complete calendar
            month before today.
        months: number of months covered (36 by default).
        feeds: the feeds to write (names in FEEDS); default all.
        progress: called with short messages such as "patients: 512,340 rows".

    Raises:
        ValueError: for an unknown feed name, a non-positive scale or months < 1.
    """
    wanted = _wanted(feeds)
    if not (0 < scale < math.inf) or months < 1:  # also refuses nan, which compares false
        raise ValueError(
            f"scale must be a finite number above 0 and months >= 1 (got scale={scale}, "
            f"months={months})"
        )
    if end_month is not None and end_month.day != 1:
        raise ValueError(f"end_month must be the first day of a month (got {end_month})")
    window = Window(end_month or default_end_month(date.today()), months)
    return _Run(Path(out_dir), seed, scale, window, wanted, progress).execute()


def _wanted(feeds: Collection[str] | None) -> list[str]:
    if feeds is None:
        return list(FEEDS)
    unknown = sorted(set(feeds) - set(FEEDS))
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; choose from {', '.join(FEEDS)}")
    return [f for f in FEEDS if f in feeds]


class _Run:
    """One generation run: writers, serial-number counters and the loop over practices."""

    def __init__(
        self,
        out_dir: Path,
        seed: int,
        scale: float,
        w: Window,
        wanted: list[str],
        progress: Callable[[str], None] | None,
    ):
        self.out_dir, self.seed, self.w, self.wanted = out_dir, int(seed), w, wanted
        self.say = progress or (lambda message: None)
        self.practices = build_practices(scale)
        self.lsoas = build_lsoas(self.practices)
        self.key = person_key(self.seed)
        self.next_id = {
            "apc_spells": 0, "care_home_admissions": 0, "survey_responses": 0, "ae_attendances": 0,
        }  # fmt: skip
        self.aggregate_rows: list[dict] = []
        self.population = PopulationCounts(self.practices, w) if "population" in wanted else None

    def execute(self) -> dict[str, list[Path]]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.con = connect()
        self.writers = {
            f: CsvFeedWriter(self.con, self.out_dir / f"{f}.csv", COLUMNS[f])
            for f in self.wanted
            if f != "population"
        }
        try:
            self._write("organisations", lambda: organisations_table(self.practices, self.w))
            self._write("lsoa_deprivation", lambda: deprivation.deprivation_table(self.lsoas))
            for i, p in enumerate(self.practices):
                self._practice(p)
                if (i + 1) % max(1, len(self.practices) // 10) == 0:
                    self.say(f"practices: {i + 1:,} of {len(self.practices):,}")
            return self._finish()
        finally:
            self.con.close()

    def _write(self, feed: str, make) -> None:
        if feed in self.writers:
            table = make()
            self.writers[feed].add(table)
            if feed in self.next_id:
                self.next_id[feed] += table.num_rows

    def _practice(self, p) -> None:
        seed, w, key = self.seed, self.w, self.key
        self._write(
            "survey_responses",
            lambda: survey.survey_table(
                stream(seed, p.index, "survey"), p, w, self.next_id["survey_responses"]
            ),
        )
        if not NEEDS_PEOPLE & set(self.wanted):
            return
        pp = make_people(stream(seed, p.index, "people"), p, w, self.lsoas)
        h = make_health(stream(seed, p.index, "conditions"), pp, w)
        life = make_life(stream(seed, p.index, "life"), pp, h, w)
        person_feeds.settle_health(pp, h, life, w)
        if self.population is not None:
            self.population.add(p, pp, life.reg_to)
        self._write(
            "patients", lambda: person_feeds.patients_table(p, pp, h, life, w, self.lsoas, key)
        )
        self._write("conditions", lambda: person_feeds.conditions_table(pp, h, key))
        self._write("deaths", lambda: person_feeds.deaths_table(p, pp, life, w, key, ICD))
        self._write(
            "gp_events",
            lambda: gp_events.gp_events_table(
                stream(seed, p.index, "events"), p, pp, h, life, w, key
            ),
        )
        self._write("apc_spells", lambda: self._spells(p, pp, h, life))
        self._write(
            "ae_attendances",
            lambda: ae.ae_table(
                stream(seed, p.index, "ae"), p, pp, life, w, key, self.next_id["ae_attendances"]
            ),
        )
        self._write(
            "care_home_admissions",
            lambda: social_care.care_home_table(
                stream(seed, p.index, "care_homes"),
                p,
                pp,
                h,
                life,
                w,
                key,
                self.next_id["care_home_admissions"],
            ),
        )
        if "aggregate_indicators" in self.writers:
            self.aggregate_rows += aggregates.practice_rows(
                stream(seed, p.index, "aggregates"), p, pp, h, life, w
            )

    def _spells(self, p, pp, h, life):
        rng = stream(self.seed, p.index, "spells")
        timing = make_spells(rng, p, pp, h, life, self.w)
        return apc.apc_table(
            rng, p, pp, h, life, timing, self.w, self.key, self.next_id["apc_spells"]
        )

    def _finish(self) -> dict[str, list[Path]]:
        if "aggregate_indicators" in self.writers:
            rng = stream(self.seed, 10**6, "aggregates")
            rows = self.aggregate_rows + aggregates.area_rows(rng, self.practices, self.w)
            self.writers["aggregate_indicators"].add(aggregates.aggregates_table(rows))
        written: dict[str, list[Path]] = {}
        for feed in self.wanted:
            if feed == "population":
                written[feed] = self.population.write(self.con, self.out_dir)
                self.say(f"population: {len(written[feed])} monthly files")
                continue
            rows = self.writers[feed].close()
            written[feed] = [self.writers[feed].path]
            self.say(f"{feed}: {rows:,} rows")
        return written
