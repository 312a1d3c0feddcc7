"""A straightforward pandas implementation of four indicators, the yardstick for `publish`.

bench/publish.py times `publish` against this on the same warehouse in the same run. It
reads the warehouse tables into pandas with DuckDB's `.df()` and then uses pandas alone
(merges, groupby, vectorised string operations), the way an analyst would write it, for
bed_days, nel_last_100_days, acsc_chronic (a crude rate: the same counting work, including
the diagnosis and procedure rules a–i, without the standardisation) and
care_home_admissions_65plus. Each gets its numerator and registered-population (or deaths)
denominator at practice × month, rolled up to network, locality, area and system and to
calendar quarters, with the annualised rate. The definitions are read from METRICS.md, not
from the engine's SQL, so that `check` (its numerators against a published snapshot's) is
an independent test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

METRICS = ("bed_days", "nel_last_100_days", "acsc_chronic", "care_home_admissions_65plus")
MULTIPLIERS = {
    "bed_days": 1_000,
    "nel_last_100_days": 100,
    "acsc_chronic": 100_000,
    "care_home_admissions_65plus": 100_000,
}
POPULATION_AGES = {
    "bed_days": (0, 120),
    "acsc_chronic": (0, 120),
    "care_home_admissions_65plus": (65, 120),
}
EMERGENCY = ["21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D"]
TRANSFERS = ["51", "52", "53"]
# Rule c (and h): no procedure starting K0-K4, K50, K52, K55-K57, K60, K61, K66-K69, K71,
# K73 or K74. Rule f: no procedure starting A-T, V, W, X0, X1, X2, X4 or X5.
CARDIAC_PROCEDURE = r"(?:^|,)(?:K[0-4]|K5[02567]|K6[016789]|K7[134])"
ANGINA_PROCEDURE = r"(?:^|,)(?:[A-TVW]|X[0-245])"
LEVELS = {
    "practice": "practice_code",
    "network": "network_code",
    "locality": "locality_code",
    "area": "area_code",
    "system": None,
}
ORG_COLUMNS = ["practice_code", "network_code", "locality_code", "area_code"]
SYSTEM_CODE = "SYSTEM"

QUERIES = {
    "spells": "SELECT person_id, gpprac, admidate, disdate, admimeth, admisorc, classpat, "
    "startage, sex, diag_4_01, diag_4_concat, opertn_4_concat FROM apc_spells",
    "deaths": "SELECT person_id, dod, gpprac FROM deaths",
    "care_homes": "SELECT event_id, person_id, la_code, admission_date, permanent, age "
    "FROM care_home_admissions",
    "patients": "SELECT person_id, gpprac, registered_from, registered_to FROM patients",
    "organisations": "SELECT * FROM organisations",
    "population": "SELECT extract_date, practice_code, age_from, age_to, patients FROM population",
    "other_activity": "SELECT (SELECT max(event_date) FROM gp_events) AS gp_events, "
    "(SELECT max(response_date) FROM survey_responses) AS survey",
}


@dataclass(frozen=True)
class Window:
    """The months published, as month numbers (year × 12 + month − 1), first to last."""

    first: int
    last: int

    @property
    def last_day(self) -> pd.Timestamp:
        """The last day of the last month."""
        return month_start(self.last + 1) - pd.Timedelta(days=1)


def month_number(dates: pd.Series) -> pd.Series:
    """Year × 12 + month − 1 of each date."""
    return dates.dt.year * 12 + dates.dt.month - 1


def month_start(number):
    """The first day of month number(s) `number` (a scalar or array-like)."""
    numbers = pd.Series(np.atleast_1d(number))
    starts = pd.to_datetime(
        pd.DataFrame({"year": numbers // 12, "month": numbers % 12 + 1, "day": 1})
    ).astype("datetime64[us]")
    return starts.iloc[0] if np.isscalar(number) else starts


def read_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    """Reads the columns the four indicators need into pandas, one frame per table."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {name: connection.execute(sql).df() for name, sql in QUERIES.items()}


def window(tables: dict[str, pd.DataFrame], today: date) -> Window:
    """From the first population extract to the latest activity, never the current month."""
    first = month_number(tables["population"]["extract_date"]).min()
    latest = max(
        tables["population"]["extract_date"].max(),
        tables["spells"]["admidate"].max(),
        tables["spells"]["disdate"].max(),
        tables["deaths"]["dod"].max(),
        tables["care_homes"]["admission_date"].max(),
        *tables["other_activity"].iloc[0].dropna(),
    )
    latest_number = latest.year * 12 + latest.month - 1
    return Window(int(first), int(min(latest_number, today.year * 12 + today.month - 2)))


def practice_months(organisations: pd.DataFrame, months: Window) -> pd.DataFrame:
    """Each practice's network, locality and area at each month end."""
    grid = pd.DataFrame({"month": range(months.first, months.last + 1)})
    grid["month_end"] = month_start(grid["month"] + 1).to_numpy() - pd.Timedelta(days=1)
    grid = grid.merge(organisations, how="cross")
    valid = (grid["valid_from"] <= grid["month_end"]) & (
        grid["valid_to"].isna() | (grid["valid_to"] >= grid["month_end"])
    )
    latest = (
        grid[valid]
        .sort_values("valid_from")
        .drop_duplicates(["month", "practice_code"], keep="last")
    )
    return latest[["month", *ORG_COLUMNS]]


def in_window(frame: pd.DataFrame, months: Window) -> pd.DataFrame:
    """The rows whose `month` is published."""
    return frame[frame["month"].between(months.first, months.last)]


def bed_days(spells: pd.DataFrame, months: Window) -> pd.DataFrame:
    """Nights of [admidate, disdate) by practice and the month they fall in."""
    stays = spells.loc[spells["classpat"] != "2", ["gpprac", "admidate", "disdate"]]
    stays["night_end"] = stays["disdate"].fillna(months.last_day + pd.Timedelta(days=1))
    stays = stays[stays["night_end"] > stays["admidate"]]
    first = month_number(stays["admidate"])
    spanned = month_number(stays["night_end"] - pd.Timedelta(days=1)) - first + 1
    repeats = spanned.to_numpy()
    nights = stays.loc[stays.index.repeat(repeats)].reset_index(drop=True)
    offsets = np.arange(len(nights)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    nights["month"] = np.repeat(first.to_numpy(), repeats) + offsets
    nights = in_window(nights, months)
    starts = month_start(pd.Series(range(months.first, months.last + 2)))
    starts.index = range(months.first, months.last + 2)
    start, end = nights["month"].map(starts), (nights["month"] + 1).map(starts)
    nights["num"] = (
        nights["night_end"].where(nights["night_end"] < end, end)
        - nights["admidate"].where(nights["admidate"] > start, start)
    ).dt.days
    return nights.groupby(["gpprac", "month"], as_index=False)["num"].sum()


def nel_last_100_days(spells: pd.DataFrame, deaths: pd.DataFrame, months: Window):
    """Per practice and month of death: deaths, and their emergency admissions in [dod−100, dod]."""
    emergency = spells.loc[spells["admimeth"].isin(EMERGENCY), ["person_id", "admidate"]]
    died = deaths[deaths["dod"] <= months.last_day].copy()
    pairs = died[["person_id", "dod"]].merge(emergency, on="person_id")
    before = (pairs["admidate"] >= pairs["dod"] - pd.Timedelta(days=100)) & (
        pairs["admidate"] <= pairs["dod"]
    )
    admissions = pairs[before].groupby("person_id").size()
    died["num"] = died["person_id"].map(admissions).fillna(0)
    died["den"] = 1.0
    died["month"] = month_number(died["dod"])
    died = in_window(died, months)
    return died.groupby(["gpprac", "month"], as_index=False)[["num", "den"]].sum()


def chronic_acsc(spells: pd.DataFrame) -> pd.Series:
    """True where the primary diagnosis meets the chronic ACSC rules a–i (METRICS.md)."""
    primary = spells["diag_4_01"]
    p3, p4 = primary.str[:3], primary.str[:4]
    diagnoses = primary + "," + spells["diag_4_concat"].fillna("")
    procedures = spells["opertn_4_concat"].fillna("")
    cardiac = procedures.str.contains(CARDIAC_PROCEDURE)
    rules = [
        p4.isin(["B180", "B181"]) & ~diagnoses.str.contains(r"(?:^|,)D57"),
        p3.eq("J45") | p4.eq("J46X"),
        (p3.eq("I50") | p4.isin(["I110", "J81X", "I130"])) & ~cardiac,
        p3.isin(["E10", "E11", "E12", "E13", "E14"]),
        p3.isin(["J41", "J43", "J44"])
        | p4.isin(["J42X", "J47X"])
        | (p3.eq("J20") & diagnoses.str.contains(r"(?:^|,)J4[12347]")),
        p3.isin(["I20", "I25"]) & ~procedures.str.contains(ANGINA_PROCEDURE),
        p3.isin(["D51", "D52"]) | p4.isin(["D501", "D508", "D509"]),
        p4.isin(["I10X", "I119"]) & ~cardiac,
        p3.isin(["I48", "G40", "G41", "F00", "F01", "F02", "F03"]),
    ]
    return pd.concat(rules, axis=1).any(axis=1)


def acsc_chronic(spells: pd.DataFrame, months: Window) -> pd.DataFrame:
    """Eligible emergency spells with a chronic ACSC primary diagnosis, by admission month."""
    eligible = spells[
        spells["admimeth"].isin(EMERGENCY)
        & spells["classpat"].eq("1")
        & ~spells["admisorc"].isin(TRANSFERS)
        & spells["startage"].between(0, 120)
        & spells["sex"].isin(["1", "2"])
    ]
    counted = eligible[chronic_acsc(eligible) & (eligible["admidate"] <= months.last_day)]
    counted = in_window(counted.assign(month=month_number(counted["admidate"]), num=1.0), months)
    return counted.groupby(["gpprac", "month"], as_index=False)["num"].sum()


def care_home_admissions(care_homes, patients, months: Window) -> pd.DataFrame:
    """First permanent admissions at 65+, placed at the practice registered on the day."""
    permanent = care_homes[care_homes["permanent"]]
    known = permanent[permanent["person_id"].notna()].sort_values(["admission_date", "event_id"])
    firsts = pd.concat(
        [known.drop_duplicates("person_id"), permanent[permanent["person_id"].isna()]]
    )
    placed = firsts.merge(patients, on="person_id", how="left")
    registered = (placed["registered_from"] <= placed["admission_date"]) & (
        placed["registered_to"].isna() | (placed["registered_to"] >= placed["admission_date"])
    )
    placed["gpprac"] = placed["gpprac"].where(registered)
    placed = placed[(placed["age"] >= 65) & (placed["admission_date"] <= months.last_day)]
    placed = in_window(placed.assign(month=month_number(placed["admission_date"]), num=1.0), months)
    return placed.groupby(["gpprac", "la_code", "month"], as_index=False, dropna=False)["num"].sum()


def attribute(counts: pd.DataFrame, practices: pd.DataFrame, la_areas=None) -> pd.DataFrame:
    """Adds each practice's network, locality and area that month; a social care record with
    no practice goes to its local authority's area (`la_areas`), anything else unplaced is
    dropped."""
    placed = counts.merge(
        practices, left_on=["gpprac", "month"], right_on=["practice_code", "month"], how="left"
    )
    if la_areas is not None:
        placed["area_code"] = placed["area_code"].fillna(placed["la_code"].map(la_areas))
    return placed[placed["area_code"].notna()].drop(columns=["gpprac", "la_code"], errors="ignore")


def la_areas(organisations: pd.DataFrame) -> pd.Series:
    """Each local authority's area, from its latest organisations row."""
    latest = organisations.dropna(subset=["la_code"]).sort_values("valid_from")
    return latest.drop_duplicates("la_code", keep="last").set_index("la_code")["area_code"]


def populations(population: pd.DataFrame, practices: pd.DataFrame, months: Window):
    """Registered population per metric, practice and month, from the latest extract on or
    before each month end; five-year bands are spread evenly where an age limit cuts them."""
    ends = pd.DataFrame({"month": range(months.first, months.last + 1)})
    ends["month_end"] = month_start(ends["month"] + 1).to_numpy() - pd.Timedelta(days=1)
    extracts = population[["extract_date"]].drop_duplicates().sort_values("extract_date")
    chosen = pd.merge_asof(ends, extracts, left_on="month_end", right_on="extract_date")
    rows = chosen.merge(population, on="extract_date")
    rows = rows.merge(practices, on=["month", "practice_code"])
    age_to = rows["age_to"].fillna(120)
    frames = []
    for metric_id, (low, high) in POPULATION_AGES.items():
        inside = (np.minimum(age_to, high) - np.maximum(rows["age_from"], low) + 1).clip(lower=0)
        people = rows.assign(
            metric_id=metric_id, pop=rows["patients"] * inside / (age_to - rows["age_from"] + 1)
        )
        frames.append(
            people.groupby(["metric_id", "month", *ORG_COLUMNS], as_index=False)["pop"].sum()
        )
    return pd.concat(frames, ignore_index=True)


def roll_up(grain: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sums `columns` from practice × month up to every level (nulls left out of a level)."""
    parts = []
    for level, org_column in LEVELS.items():
        keys = ["metric_id", "month"] + ([org_column] if org_column else [])
        part = grain.groupby(keys, as_index=False)[columns].sum()
        part = part.rename(columns={org_column: "org_code"}) if org_column else part
        parts.append(part.assign(level=level, org_code=part.get("org_code", SYSTEM_CODE)))
    return pd.concat(parts, ignore_index=True)


def periods(monthly: pd.DataFrame, months: Window) -> pd.DataFrame:
    """Months, and the calendar quarters whose three months are all published."""
    monthly = monthly.assign(period_type="month", period=monthly["month"], months=1)
    quarters = monthly.assign(
        period_type="quarter", period=monthly["month"] - monthly["month"] % 3, months=3
    )
    quarters = quarters[
        (quarters["period"] >= months.first) & (quarters["period"] + 2 <= months.last)
    ]
    keys = ["metric_id", "period_type", "period", "months", "level", "org_code"]
    quarters = quarters.groupby(keys, as_index=False)[["num", "den", "pop"]].sum(min_count=1)
    return pd.concat([monthly.drop(columns="month"), quarters], ignore_index=True)


def values(totals: pd.DataFrame) -> pd.DataFrame:
    """Numerator, denominator and value: an annualised rate, or admissions per 100 deaths."""
    ratio = totals["metric_id"].eq("nel_last_100_days")
    multiplier = totals["metric_id"].map(MULTIPLIERS)
    person_years = totals["pop"] / 12
    out = totals[["metric_id", "period_type", "level", "org_code"]].copy()
    out["period_start"] = month_start(totals["period"]).to_numpy()
    out["numerator"] = totals["num"].fillna(0)
    out["denominator"] = np.where(ratio, totals["den"], totals["pop"] / totals["months"])
    rate = out["numerator"] / np.where(ratio, totals["den"], person_years) * multiplier
    out["value"] = rate.where(np.isfinite(rate))
    return out.sort_values(
        ["metric_id", "period_type", "level", "org_code", "period_start"], ignore_index=True
    )


def compute(warehouse: Path, today: date) -> pd.DataFrame:
    """The four indicators at every level for months and quarters, from the warehouse."""
    tables = read_tables(warehouse)
    months = window(tables, today)
    practices = practice_months(tables["organisations"], months)
    spells = tables.pop("spells")
    counts = [
        attribute(bed_days(spells, months), practices).assign(metric_id="bed_days"),
        attribute(nel_last_100_days(spells, tables["deaths"], months), practices).assign(
            metric_id="nel_last_100_days"
        ),
        attribute(acsc_chronic(spells, months), practices).assign(metric_id="acsc_chronic"),
        attribute(
            care_home_admissions(tables["care_homes"], tables["patients"], months),
            practices,
            la_areas(tables["organisations"]),
        ).assign(metric_id="care_home_admissions_65plus"),
    ]
    del spells
    numerators = roll_up(pd.concat(counts, ignore_index=True), ["num", "den"])
    denominators = roll_up(populations(tables["population"], practices, months), ["pop"])
    keys = ["metric_id", "month", "level", "org_code"]
    monthly = numerators.merge(denominators, on=keys, how="outer")
    return values(periods(monthly, months))


def run(warehouse: str, today: str, out: str) -> dict:
    """The benchmark step: computes the indicators and writes them to `out` (Parquet)."""
    frame = compute(Path(warehouse), date.fromisoformat(today))
    frame.to_parquet(out, index=False)
    return {"rows": len(frame)}


PUBLISHED_SQL = """
SELECT metric_id, level, org_code, period_start, numerator, denominator
FROM indicator_values
WHERE segment = 'all' AND period_type = 'month' AND metric_id IN ?
"""


def check(reference: pd.DataFrame, snapshot: Path) -> pd.DataFrame:
    """Compares the reference's month numerators (and denominators) with a snapshot's.

    Returns one row per metric: the system-level months compared and how many have the
    same numerator, the largest difference, the system totals, whether the system
    denominators agree to 1e-9, and the rows at the other levels whose numerators differ.
    """
    with duckdb.connect(str(snapshot), read_only=True) as connection:
        published = connection.execute(PUBLISHED_SQL, [list(METRICS)]).df()
    published["period_start"] = pd.to_datetime(published["period_start"]).astype("datetime64[us]")
    ours = reference[reference["period_type"].eq("month")].drop(columns=["period_type", "value"])
    keys = ["metric_id", "level", "org_code", "period_start"]
    both = ours.merge(published, on=keys, how="outer", suffixes=("_ref", "_pub"))
    for column in ("numerator_ref", "numerator_pub"):
        both[column] = both[column].fillna(0)
    return pd.DataFrame([_agreement(both[both["metric_id"].eq(m)], m) for m in METRICS])


def _agreement(rows: pd.DataFrame, metric_id: str) -> dict:
    system = rows[rows["level"].eq("system")]
    difference = (system["numerator_ref"] - system["numerator_pub"]).abs()
    denominators = np.isclose(system["denominator_ref"], system["denominator_pub"], rtol=1e-9)
    others = rows[~rows["level"].eq("system")]
    return {
        "metric_id": metric_id,
        "system_months": len(system),
        "system_months_equal": int((difference == 0).sum()),
        "largest_difference": float(difference.max()) if len(system) else 0.0,
        "reference_total": float(system["numerator_ref"].sum()),
        "published_total": float(system["numerator_pub"].sum()),
        "system_denominators_agree": bool(denominators.all()),
        "other_level_rows": len(others),
        "other_level_rows_differing": int(
            (others["numerator_ref"] != others["numerator_pub"]).sum()
        ),
    }
