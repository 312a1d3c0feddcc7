"""Ambulatory care sensitive conditions as SQL predicates over a spell's codes.

`acsc_chronic` follows the NHS Digital CCG OIS 2.6 / NHS OF 2.3.i primary-diagnosis rules
a–i exactly as METRICS.md states them. `acsc_all` is the broader 19-condition NHS list:
the chronic rules plus the vaccine-preventable, acute and other chronic conditions in
`reference/acsc_all_codes.csv`, matched on the primary diagnosis's first 3 or 4 characters.
Hepatitis B (B18.0, B18.1) is left to chronic rule a, so its sickle-cell (D57) exclusion
holds in both.
The predicates expect columns `p3`, `p4` (primary diagnosis), `diag_4_concat` and
`opertn_4_concat` (codes separated by commas, upper case, as the warehouse stores them; a
blank list is NULL, which is read as no codes).
"""

from __future__ import annotations

from functools import cache

from metrics.reference_data import read_reference_csv

# Rule c's procedures (cardiac, and so on), also applied by rule h.
CARDIAC_PROCEDURES = r"(^|,)(K[0-4]|K5[02567]|K6[016789]|K7[134])"
# Rule f: any procedure starting A–T, V, W, X0, X1, X2, X4 or X5.
ANGINA_PROCEDURES = r"(^|,)([A-TVW]|X[0-245])"

CHRONIC_RULES = {
    "a_hepatitis_b": (
        "p4 IN ('B180', 'B181') AND NOT regexp_matches(coalesce(diag_4_concat, ''), '(^|,)D57')"
    ),
    "b_asthma": "p3 = 'J45' OR p4 = 'J46X'",
    "c_heart_failure": (
        "(p3 = 'I50' OR p4 IN ('I110', 'J81X', 'I130')) "
        f"AND NOT regexp_matches(coalesce(opertn_4_concat, ''), '{CARDIAC_PROCEDURES}')"
    ),
    "d_diabetes": "p3 IN ('E10', 'E11', 'E12', 'E13', 'E14')",
    "e_copd": (
        "p3 IN ('J41', 'J43', 'J44') OR p4 IN ('J42X', 'J47X') "
        "OR (p3 = 'J20' AND regexp_matches(coalesce(diag_4_concat, ''), '(^|,)J4[12347]'))"
    ),
    "f_angina": (
        "p3 IN ('I20', 'I25') "
        f"AND NOT regexp_matches(coalesce(opertn_4_concat, ''), '{ANGINA_PROCEDURES}')"
    ),
    "g_iron_deficiency_anaemia": "p3 IN ('D51', 'D52') OR p4 IN ('D501', 'D508', 'D509')",
    "h_hypertension": (
        "p4 IN ('I10X', 'I119') "
        f"AND NOT regexp_matches(coalesce(opertn_4_concat, ''), '{CARDIAC_PROCEDURES}')"
    ),
    "i_other": "p3 IN ('I48', 'G40', 'G41', 'F00', 'F01', 'F02', 'F03')",
}


def acsc_chronic_sql() -> str:
    """Returns a SQL predicate: the spell's primary diagnosis is a chronic ACSC (rules a–i)."""
    return "(" + " OR ".join(f"({rule})" for rule in CHRONIC_RULES.values()) + ")"


@cache
def acsc_all_sql() -> str:
    """Returns a SQL predicate: the spell is in the 19-condition ACSC list."""
    codes = read_reference_csv("acsc_all_codes.csv", dtype=str)["code"]
    short = ", ".join(f"'{code}'" for code in codes if len(code) == 3)
    long = ", ".join(f"'{code}'" for code in codes if len(code) == 4)
    return f"({acsc_chronic_sql()} OR p3 IN ({short}) OR p4 IN ({long}))"
