"""The demo's two payment schemes, seeded by `wholesystem demo` through `save_scheme` (so
they are in the history and the admins' audit like any admin's edit): the Tower Hamlets
care packages paid 70/30 and, later, 60/40 with a share of the savings from fewer
emergency admissions. Rates are illustrative (£ per registered patient per year).
"""

from __future__ import annotations

from wholesystem import schemes
from wholesystem.settings import Settings

REASON = "demo: the care-package schemes a commissioner compares (70/30 and 60/40)"


def _packages() -> list[dict]:
    def kpis(*metric_ids: str) -> list[dict]:
        return [{"metric_id": metric, "weight": 10, "method": "linear"} for metric in metric_ids]

    return [
        {"name": "Diabetes", "rate": 4.0, "per": "registered",
         "kpis": kpis("dm_hba1c_control", "dm_bp_control", "dm_cholesterol_control",
                      "dm_care_plan")},
        {"name": "Childhood immunisation", "rate": 1.5, "per": "registered",
         "kpis": kpis("imm_dtap_8m", "imm_mmr1_18m")},
        {"name": "Cervical screening", "rate": 1.0, "per": "registered",
         "kpis": kpis("cervical_screening_25_49", "cervical_screening_50_64")},
    ]  # fmt: skip


DEMO_SCHEMES = {
    "care_packages_70_30": {
        "title": "Care packages 70/30", "upfront_share": 0.7, "period": "quarter",
        "packages": _packages(),
    },
    "care_packages_60_40": {
        "title": "Care packages 60/40", "upfront_share": 0.6, "period": "quarter",
        "packages": _packages(),
        "gain_share": {"metric_id": "emergency_admissions", "share": 0.5,
                       "cost_per_admission": 1800.0},
    },
}  # fmt: skip


def seed(settings: Settings, by: str) -> list[str]:
    """Saves each demo scheme not already in force as it is; returns the names saved."""
    in_force = schemes.load_schemes(settings)
    saved = []
    for name, table in DEMO_SCHEMES.items():
        scheme = schemes.parse_scheme(name, table, "the demo")
        current = in_force.get(name)
        if current is None or schemes.scheme_table(current) != schemes.scheme_table(scheme):
            schemes.save_scheme(settings, scheme, by, REASON)
            saved.append(name)
    return saved
