"""NHS Digital 'Patients Registered at a GP Practice' files, loaded as published: single
year of age (new CODE and older ORG_CODE headers) and 5-year bands."""

from __future__ import annotations

from datetime import date

import pytest

from tests.etl.conftest import table_rows, write_csv
from tests.etl.rows import load_log, population_5y_row, population_row, quarantine

TOTALS_WARNING = "population totals (ALL rows) disagree with the sum of the detail rows"
JULY = date(2026, 7, 1)


def single_age_rows(male_total: int = 13, grand_total: int = 20) -> list[dict]:
    return [
        population_row("A84005", "ALL", "ALL", grand_total),
        population_row("A84005", "MALE", "ALL", male_total),
        population_row("A84005", "MALE", "0", 10),
        population_row("A84005", "MALE", "95+", 3),
        population_row("A84005", "FEMALE", "ALL", 7),
        population_row("A84005", "FEMALE", "94", 7),
        population_row("15F", "MALE", "0", 99, org_type="SUB_ICB_LOCATION"),
        population_row("Y63", "ALL", "ALL", 999, org_type="COMM_REGION"),
    ]


def stored(settings) -> list[tuple]:
    """(practice, extract date, sex, age, age_from, age_to, patients) of every stored row."""
    rows = table_rows(settings, "population", "practice_code, sex, age_from, extract_date")
    return [(r[1], r[0], r[2], r[4], r[5], r[6], r[3]) for r in rows]


def test_a_single_year_file_keeps_gp_detail_rows_only(tmp_path, settings, load):
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-sing-age.csv", single_age_rows()))
    assert (result.outcome, result.feed) == ("loaded", "population")
    counts = result.counts
    assert (counts.rows_read, counts.rows_ignored, counts.rows_quarantined) == (8, 2, 0)
    assert counts.rows_accepted == 3
    assert stored(settings) == [
        ("A84005", JULY, "F", "94", 94, 94, 7),
        ("A84005", JULY, "M", "0", 0, 0, 10),
        ("A84005", JULY, "M", "95+", 95, None, 3),
    ]
    assert result.notes == []  # the ALL rows agree with the detail, the grand total too


def test_totals_that_disagree_with_the_detail_give_a_warning(tmp_path, settings, load):
    [result] = load(write_csv(tmp_path / "pop.csv", single_age_rows(male_total=14)))
    assert result.outcome == "loaded"
    assert result.notes == [f"{TOTALS_WARNING} (1 practice-month-sex group)"]
    assert len(stored(settings)) == 3


def test_a_grand_total_that_disagrees_with_both_sexes_gives_a_warning(tmp_path, settings, load):
    [result] = load(write_csv(tmp_path / "pop.csv", single_age_rows(grand_total=21)))
    assert result.notes == [f"{TOTALS_WARNING} (1 practice-month-sex group)"]


def test_the_warning_is_kept_in_the_load_log(tmp_path, settings, load):
    load(write_csv(tmp_path / "pop.csv", single_age_rows(male_total=1, grand_total=8)))
    assert load_log(settings)[0]["message"] == f"{TOTALS_WARNING} (2 practice-month-sex groups)"


def test_the_older_org_code_header_with_ccg_columns_loads(tmp_path, settings, load):
    header = "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,ORG_CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS"  # noqa: E501
    rows = [
        dict(zip(header.split(","), values.split(","), strict=True))
        for values in (
            "GP_PRAC_PAT_LIST,01JAN2019,GP,02T,E38000025,C84001,NG1 1AA,MALES,5,4",
            "GP_PRAC_PAT_LIST,01JAN2019,GP,02T,E38000025,C84001,NG1 1AA,FEMALES,5,6",
            "GP_PRAC_PAT_LIST,01JAN2019,CCG,02T,E38000025,02T,NG1 1AA,FEMALES,5,60",
        )
    ]
    [result] = load(write_csv(tmp_path / "old.csv", rows))
    assert (result.outcome, result.feed, result.counts.rows_accepted) == (
        "loaded", "population", 2,
    )  # fmt: skip
    assert result.notes == ["columns not in the contract, ignored: CCG_CODE, ONS_CCG_CODE"]
    assert stored(settings) == [
        ("C84001", date(2019, 1, 1), "F", "5", 5, 5, 6),
        ("C84001", date(2019, 1, 1), "M", "5", 5, 5, 4),
    ]


def test_a_five_year_band_file_derives_the_age_range(tmp_path, settings, load):
    rows = [
        population_5y_row("B82005", "ALL", "ALL", 18),
        population_5y_row("B82005", "MALE", "ALL", 13),
        population_5y_row("B82005", "MALE", "0_4", 10),
        population_5y_row("B82005", "MALE", "90_94", 2),
        population_5y_row("B82005", "MALE", "95+", 1),
        population_5y_row("B82005", "FEMALE", "5_9", 5),
        population_5y_row("E38000225", "MALE", "0_4", 500, org_type="SUB_ICB_LOCATION"),
    ]
    [result] = load(write_csv(tmp_path / "gp-reg-pat-prac-quin-age.csv", rows))
    assert (result.outcome, result.feed) == ("loaded", "population_5y")
    counts = result.counts
    assert (counts.rows_read, counts.rows_ignored, counts.rows_accepted) == (7, 1, 4)
    assert result.notes == []
    assert stored(settings) == [
        ("B82005", JULY, "F", "5_9", 5, 9, 5),
        ("B82005", JULY, "M", "0_4", 0, 4, 10),
        ("B82005", JULY, "M", "90_94", 90, 94, 2),
        ("B82005", JULY, "M", "95+", 95, None, 1),
    ]


def test_five_year_totals_are_checked_too(tmp_path, settings, load):
    rows = [
        population_5y_row("B82005", "FEMALE", "ALL", 9),
        population_5y_row("B82005", "FEMALE", "0_4", 4),
        population_5y_row("B82005", "FEMALE", "5_9", 4),
    ]
    [result] = load(write_csv(tmp_path / "quin.csv", rows))
    assert result.notes == [f"{TOTALS_WARNING} (1 practice-month-sex group)"]


def test_both_formats_share_the_population_table(tmp_path, settings, load):
    single = [population_row("A84005", "MALE", "7", 3)]
    banded = [population_5y_row("A84005", "MALE", "5_9", 15)]
    results = load(
        write_csv(tmp_path / "sing.csv", single), write_csv(tmp_path / "quin.csv", banded)
    )
    assert [result.feed for result in results] == ["population", "population_5y"]
    assert stored(settings) == [
        ("A84005", JULY, "M", "5_9", 5, 9, 15),
        ("A84005", JULY, "M", "7", 7, 7, 3),
    ]


def test_a_revised_extract_replaces_its_own_rows_only(tmp_path, settings, load):
    load(write_csv(tmp_path / "jul.csv", [population_row("A84005", "MALE", "7", 3)]))
    august = population_row("A84005", "MALE", "7", 4) | {"EXTRACT_DATE": "01AUG2026"}
    revised_july = population_row("A84005", "MALE", "7", 5)
    [result] = load(write_csv(tmp_path / "aug.csv", [august, revised_july]))
    assert (result.rows_replaced, result.counts.rows_accepted) == (1, 2)
    assert sorted((r[1], r[6]) for r in stored(settings)) == [(JULY, 5), (date(2026, 8, 1), 4)]


def test_bad_population_rows_are_quarantined(tmp_path, settings, load):
    rows = [population_row("A84005", "MALE", str(age), 1) for age in range(40)]
    rows.append(population_row("A84005", "MALE", "96+", 1))  # line 42
    rows.append(population_row("A84005", "UNKNOWN", "3", 1))  # line 43
    rows += [population_row("A84005", "FEMALE", str(age), 1) for age in range(40)]
    [result] = load(write_csv(tmp_path / "pop.csv", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 80)
    assert quarantine(settings) == [
        ("pop.csv", 42, "age", "96+", "invalid_age"),
        ("pop.csv", 43, "sex", "UNKNOWN", "invalid_code"),
    ]


def test_an_extract_date_in_another_format_is_quarantined(tmp_path, settings, load):
    rows = [population_row("A84005", "MALE", str(age), 1) for age in range(40)]
    rows[0]["EXTRACT_DATE"] = "2026-07-01"  # ISO is accepted too
    rows[1]["EXTRACT_DATE"] = "31JUN2026"  # line 3: no such day
    [result] = load(write_csv(tmp_path / "pop.csv", rows))
    assert result.counts.rows_accepted == 39
    assert quarantine(settings) == [("pop.csv", 3, "extract_date", "31JUN2026", "invalid_date")]


# gp-reg-pat-prac-all.csv: one row per practice, SEX and AGE = ALL, stored as the list size.
# Its header generations: CCG codes (to June 2022), sub-ICB location codes (from July 2022),
# ORG_CODE for CODE in some extracts; EXTRACT_DATE as 01JAN2021, 01Jan2022 or ISO.
ALL_HEADERS = {
    "ccg": "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,CODE,POSTCODE,SEX,AGE,"
    "NUMBER_OF_PATIENTS",
    "sub_icb": "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,"
    "CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS",
    "org_code": "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,"
    "ORG_CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS",
}
ALL_IGNORED = {
    "ccg": "CCG_CODE, ONS_CCG_CODE",
    "sub_icb": "SUB_ICB_LOCATION_CODE, ONS_SUB_ICB_LOCATION_CODE",
    "org_code": "SUB_ICB_LOCATION_CODE, ONS_SUB_ICB_LOCATION_CODE",
}


def all_persons_file(path, generation: str, extract_date: str, rows) -> object:
    """rows: (practice, patients) or whole lines; written as NHS Digital publishes them."""
    lines = [ALL_HEADERS[generation]]
    for row in rows:
        if isinstance(row, str):
            lines.append(row)
        else:
            practice, patients = row
            lines.append(
                f"GP_PRAC_PAT_LIST,{extract_date},GP,15F,E38000225,{practice},LS6 2AA,ALL,ALL,"
                f"{patients}"
            )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def list_sizes(settings) -> list[tuple]:
    """(practice, extract date, patients) of every stored list size."""
    rows = table_rows(settings, "list_sizes", "practice_code, extract_date")
    return [(row[1], row[0], row[2]) for row in rows]


@pytest.mark.parametrize(
    ("generation", "extract_date", "month"),
    [
        ("ccg", "01JAN2021", date(2021, 1, 1)),
        ("sub_icb", "01Jan2023", date(2023, 1, 1)),
        ("org_code", "2026-04-01", date(2026, 4, 1)),
    ],
)
def test_all_persons_totals_are_stored_as_list_sizes(
    tmp_path, settings, load, generation, extract_date, month
):
    rows = [("A84005", 9123), ("B82005", 4017), ("Y02620", 0)]
    path = all_persons_file(tmp_path / "gp-reg-pat-prac-all.csv", generation, extract_date, rows)
    [result] = load(path)
    assert (result.outcome, result.feed) == ("loaded", "list_sizes")
    counts = result.counts
    assert (counts.rows_read, counts.rows_accepted, counts.rows_quarantined) == (3, 3, 0)
    assert result.notes == [f"columns not in the contract, ignored: {ALL_IGNORED[generation]}"]
    assert list_sizes(settings) == [
        ("A84005", month, 9123), ("B82005", month, 4017), ("Y02620", month, 0),
    ]  # fmt: skip
    assert table_rows(settings, "population") == []


def test_list_sizes_keep_every_month_and_a_revised_month_replaces_its_own(tmp_path, settings, load):
    load(all_persons_file(tmp_path / "jan.csv", "sub_icb", "01Jan2026", [("A84005", 9000)]))
    load(all_persons_file(tmp_path / "feb.csv", "sub_icb", "01Feb2026", [("A84005", 9010)]))
    revised = all_persons_file(tmp_path / "jan2.csv", "sub_icb", "01JAN2026", [("A84005", 9001)])
    [result] = load(revised)
    assert (result.rows_replaced, result.counts.rows_accepted) == (1, 1)
    assert list_sizes(settings) == [
        ("A84005", date(2026, 1, 1), 9001), ("A84005", date(2026, 2, 1), 9010),
    ]  # fmt: skip


def test_naming_population_for_a_totals_file_is_refused_naming_the_age_files(
    tmp_path, settings, load
):
    path = all_persons_file(tmp_path / "gp-reg-pat-prac-all.csv", "ccg", "01JAN2021",
                            [("A84005", 9123)])  # fmt: skip
    [result] = load(path, feed="population")
    assert (result.outcome, result.message) == (
        "rejected",
        f"{path}: holds only totals (SEX and AGE = ALL), no ages, so it is not a population "
        "file; ages are in gp-reg-pat-prac-sing-age-*.csv and gp-reg-pat-prac-quin-age.csv "
        "(load it without --feed to keep its list sizes)",
    )
    assert table_rows(settings, "population") == table_rows(settings, "list_sizes") == []


def test_a_single_age_file_of_the_sub_icb_generation_is_still_population(tmp_path, settings, load):
    header = ALL_HEADERS["org_code"].replace("TYPE", "ORG_TYPE")
    lines = [header] + [
        f"GP_PRAC_PAT_LIST,01Apr2026,GP,15F,E38000225,A84005,LS6 2AA,{sex},{age},{patients}"
        for sex, age, patients in (("ALL", "ALL", 9), ("MALE", "ALL", 4), ("MALE", "0", 4),
                                   ("FEMALE", "ALL", 5), ("FEMALE", "95+", 5))
    ]  # fmt: skip
    path = tmp_path / "gp-reg-pat-prac-sing-age-all.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [result] = load(path)
    assert (result.outcome, result.feed, result.counts.rows_accepted) == (
        "loaded", "population", 2,
    )  # fmt: skip
    assert stored(settings) == [
        ("A84005", date(2026, 4, 1), "F", "95+", 95, None, 5),
        ("A84005", date(2026, 4, 1), "M", "0", 0, 0, 4),
    ]
    assert table_rows(settings, "list_sizes") == []


def test_list_sizes_named_for_a_single_age_file_keep_its_all_ages_totals(tmp_path, settings, load):
    rows = [population_row("A84005", "ALL", "ALL", 20), population_row("A84005", "MALE", "3", 1)]
    [result] = load(write_csv(tmp_path / "sing.csv", rows), feed="list_sizes")
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 1)
    assert list_sizes(settings) == [("A84005", JULY, 20)]


def test_bad_list_size_rows_are_quarantined_with_their_lines(tmp_path, settings, load):
    rows = [(f"A{84000 + n}", 1000 + n) for n in range(40)]
    rows[4] = "GP_PRAC_PAT_LIST,01JAN2021,GP,02T,E38000025,A84004,NG1 1AA,ALL,ALL,-3"  # line 6
    rows[9] = "GP_PRAC_PAT_LIST,01JAN2021,GP,02T,E38000025,84009,NG1 1AA,ALL,ALL,7"  # line 11
    [result] = load(all_persons_file(tmp_path / "all.csv", "ccg", "01JAN2021", rows))
    assert (result.outcome, result.counts.rows_accepted) == ("loaded", 38)
    assert quarantine(settings) == [
        ("all.csv", 6, "patients", "-3", "out_of_range"),
        ("all.csv", 11, "practice_code", "84009", "invalid_practice_code"),
    ]


def test_a_totals_file_with_a_header_only_is_refused(tmp_path, settings, load):
    path = all_persons_file(tmp_path / "gp-reg-pat-prac-all.csv", "sub_icb", "", [])
    [result] = load(path)
    assert (result.outcome, result.message) == (
        "rejected", f"{path}: the file has a header but no data rows",
    )  # fmt: skip
