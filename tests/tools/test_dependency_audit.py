"""The dependency audit's verdicts on pip-audit's JSON report (no network: reports are made up
in pip-audit's format)."""

from __future__ import annotations

from tools.dependency_audit import summarise


def test_a_known_vulnerability_fails_naming_the_fix():
    report = {"dependencies": [
        {"name": "werkzeug", "version": "3.1.3", "vulns": [
            {"id": "GHSA-hgf8-39gv-g3f2", "fix_versions": ["3.1.4"]}]},
        {"name": "flask", "version": "3.1.3", "vulns": []},
    ]}  # fmt: skip
    assert summarise(report) == (1, [
        "dependency audit: werkzeug 3.1.3: GHSA-hgf8-39gv-g3f2 (fixed in 3.1.4)",
        "dependency audit: 1 known vulnerabilities; raise the lower bounds",
    ])  # fmt: skip


def test_an_unreachable_database_passes_and_says_so():
    skipped = {"skip_reason": "Dependency not found on PyPI and could not be audited"}
    report = {"dependencies": [{"name": n, "version": "1", **skipped} for n in ("a", "b")]}
    assert summarise(report) == (0, [
        "dependency audit: not run: PyPI's vulnerability data could not be reached from here "
        "(none of 2 packages could be looked up); no packages were checked"
    ])  # fmt: skip


def test_a_clean_audit_names_what_could_not_be_looked_up():
    report = {"dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "private-pkg", "version": "1", "skip_reason": "not on PyPI"},
    ]}  # fmt: skip
    assert summarise(report) == (0, [
        "dependency audit: 1 packages, no known vulnerabilities; 1 could not be looked up "
        "(private-pkg)"
    ])  # fmt: skip
