"""Segments: the cuts of the population that every person-level indicator can take.

A segment is written `type:value`, for example `age_band:65-74` or `condition:DM`; `all`
is the whole population. Age band and sex come from the activity record itself (age at
the event). The other segments describe the person as the latest patient extract and the
disease registers show them, so that a segment's activity history can be read back over
time (METRICS.md, "Segments"). Segments are published at locality level and above.
"""

from __future__ import annotations

ALL = "all"
SEGMENT_LEVELS = ("locality", "area", "system")
SEGMENTS: dict[str, tuple[str, ...]] = {
    "age_band": ("0-17", "18-64", "65-74", "75-84", "85+"),
    "sex": ("male", "female"),
    "condition": ("DM", "COPD", "HF", "DEM", "multimorbidity"),
    "frailty": ("fit", "mild", "moderate", "severe"),
    "care_home": ("resident", "not_resident"),
    "risk_tier": ("top_0.5", "top_2", "top_3", "top_10", "top_20"),
    "deprivation": ("q1", "q2", "q3", "q4", "q5"),
}
# Risk tiers are nested: the top 0.5% are also in the top 2%, and so on.
RISK_TIERS = {"top_0.5": 0.005, "top_2": 0.02, "top_3": 0.03, "top_10": 0.10, "top_20": 0.20}
# Segments whose values partition the population, so one suppressed value could be
# recovered from the total and the others (metrics.disclosure).
PARTITIONS = ("age_band", "sex", "care_home", "deprivation", "frailty")
SEGMENT_DESCRIPTIONS = {
    "age_band": "age at the event (activity) or at the period end (registers)",
    "sex": "sex on the record",
    "condition": "on the QOF register at the latest extract; multimorbidity is 2 or more registers",
    "frailty": "electronic frailty index category in the latest patient extract",
    "care_home": "care home resident flag in the latest patient extract",
    "risk_tier": "top 0.5%, 2%, 3%, 10% and 20% of risk_score within the whole system (nested)",
    "deprivation": "IMD quintile of the person's LSOA (q1 most deprived), from lsoa_deprivation",
}


def all_segments() -> list[str]:
    """Returns every segment string, `all` first."""
    return [ALL] + [f"{kind}:{value}" for kind, values in SEGMENTS.items() for value in values]


def segment_kind(segment: str) -> str:
    """Returns the type of a segment string (`all` for the whole population)."""
    return segment.split(":", 1)[0]


AGE_BAND_SQL = """CASE WHEN {age} IS NULL THEN NULL WHEN {age} < 18 THEN 'age_band:0-17'
    WHEN {age} < 65 THEN 'age_band:18-64' WHEN {age} < 75 THEN 'age_band:65-74'
    WHEN {age} < 85 THEN 'age_band:75-84' ELSE 'age_band:85+' END"""
SEX_SQL = "CASE {sex} WHEN '1' THEN 'sex:male' WHEN '2' THEN 'sex:female' END"


def age_band_sql(age: str) -> str:
    """Returns SQL giving the age_band segment for an age column (NULL when unknown)."""
    return AGE_BAND_SQL.format(age=age)


def sex_sql(sex: str) -> str:
    """Returns SQL giving the sex segment for a sex code column ('1', '2')."""
    return SEX_SQL.format(sex=sex)
