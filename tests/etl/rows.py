"""Row builders for every feed but APC (which is in conftest), and readers for the ETL's own
tables. Each builder returns one valid row; keyword arguments change single fields."""

from __future__ import annotations

import duckdb

from wholesystem.settings import Settings

POPULATION_HEADER = "PUBLICATION,EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"
POPULATION_5Y_HEADER = (
    "PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,"
    "NUMBER_OF_PATIENTS"
)
EPCN_HEADER = (
    "Partner Organisation Code,PCN Code,PCN Name,Practice to PCN Relationship Start Date,"
    "Practice to PCN Relationship End Date"
)


def org_row(practice: str = "A84005", network: str = "U11111", **changes) -> dict[str, str]:
    row = dict(
        practice_code=practice, practice_name=f"Practice {practice}", network_code=network,
        network_name=f"Network {network}", locality_code="L1", locality_name="North",
        area_code="AR1", area_name="Leeds", la_code="E08000035", valid_from="2020-04-01",
        valid_to="",
    )  # fmt: skip
    row.update(changes)
    return row


def patient_row(person: str = "P1", **changes) -> dict[str, str]:
    row = dict(
        person_id=person, gpprac="A84005", sex="1", birth_month="1950-03", lsoa="E01000001",
        registered_from="2000-01-01", registered_to="", care_home_resident="false",
        frailty="mild", risk_score="0.25", high_risk_register="true",
    )  # fmt: skip
    row.update(changes)
    return row


def condition_row(person: str = "P1", **changes) -> dict[str, str]:
    row = dict(person_id=person, condition="DM", diagnosed_on="2020-01-15", resolved_on="")
    row.update(changes)
    return row


def gp_event_row(person: str = "P1", **changes) -> dict[str, str]:
    row = dict(person_id=person, event_date="2026-02-01", code="hba1c", value="48")
    row.update(changes)
    return row


def death_row(person: str = "P1", **changes) -> dict[str, str]:
    row = dict(
        person_id=person, dod="2026-03-01", sex="2", age="85", gpprac="A84005", pod="hospital",
        icd10u="I219",
    )  # fmt: skip
    row.update(changes)
    return row


def care_home_row(event: str = "E1", **changes) -> dict[str, str]:
    row = dict(
        event_id=event, person_id=f"P{event}", la_code="E08000035", admission_date="2026-03-01",
        setting="nursing", permanent="true", age="85", sex="2",
    )  # fmt: skip
    row.update(changes)
    return row


def survey_row(response: str = "R1", **changes) -> dict[str, str]:
    row = dict(
        response_id=response, gpprac="A84005", respondent="patient", response_date="2026-03-01",
        eq5d_version="5L", eq5d_mo="1", eq5d_sc="2", eq5d_ua="3", eq5d_pd="4", eq5d_ad="5",
        eq5d_vas="70", coordinated_care="yes_definitely", self_manage_confidence="very",
    )  # fmt: skip
    row.update(changes)
    return row


def indicator_row(indicator: str = "gpps_overall", **changes) -> dict[str, str]:
    row = dict(
        indicator_id=indicator, org_code="A84005", period_start="2025-01-01",
        period_end="2025-03-31", numerator="40", denominator="50",
    )  # fmt: skip
    row.update(changes)
    return row


def population_row(code: str, sex: str, age: str, patients: int, org_type: str = "GP") -> dict:
    values = ["GP_PRAC_PAT_LIST", "01JUL2026", org_type, code, "LS1 1AA", sex, age, patients]
    return dict(zip(POPULATION_HEADER.split(","), map(str, values), strict=True))


def population_5y_row(code: str, sex: str, band: str, patients: int, org_type="GP") -> dict:
    values = ["GP_PRAC_PAT_LIST", "01JUL2026", org_type, code, "E38000225", "LS1 1AA", sex, band,
              patients]  # fmt: skip
    return dict(zip(POPULATION_5Y_HEADER.split(","), map(str, values), strict=True))


def epcn_row(practice: str, network: str, start: str, end: str = "") -> dict[str, str]:
    values = [practice, network, f"Network {network}", start, end]
    return dict(zip(EPCN_HEADER.split(","), values, strict=True))


def quarantine(settings: Settings) -> list[tuple]:
    """(file name, line, column_name, value, rule) of every quarantined value, in order."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        rows = connection.execute(
            "SELECT file, line, column_name, value, rule FROM quarantine ORDER BY ALL"
        ).fetchall()
    return [(file.rsplit("/", 1)[-1], *rest) for file, *rest in rows]


def load_log(settings: Settings) -> list[dict]:
    """Every load_log row as a dict, in load order."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        cursor = connection.execute("SELECT * FROM load_log ORDER BY load_id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def warehouse_text(settings: Settings) -> str:
    """Every value of every table, load_log included, as one string to search."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        tables = [row[0] for row in connection.execute("SHOW TABLES").fetchall()]
        return "\n".join(
            repr(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables
        )
