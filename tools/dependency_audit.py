"""`make test`'s dependency audit: pip-audit against PyPI's advisories, where reachable.

pip-audit looks every installed package up in PyPI's JSON API (the package index the
project installs from). A known vulnerability fails the audit, naming the package and the
release that fixes it. Where the API cannot be reached (offline, or a mirror without it),
the audit says so plainly and passes: it must not make the tests flaky.

Run: `.venv/bin/python -m tools.dependency_audit`.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

COMMAND = [
    sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi", "--skip-editable",
    "--format", "json", "--progress-spinner", "off", "--timeout", "10",
]  # fmt: skip
TIMEOUT_SECONDS = 180
PREFIX = "dependency audit:"


def summarise(report: dict) -> tuple[int, list[str]]:
    """Returns (exit status, lines) for pip-audit's JSON report."""
    dependencies = report.get("dependencies", [])
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return 0, [
            f"{PREFIX} not run: PyPI's vulnerability data could not be reached from here "
            f"(none of {len(dependencies)} packages could be looked up); no packages were checked"
        ]
    found = [(d, vuln) for d in audited for vuln in d.get("vulns", [])]
    lines = [
        f"{PREFIX} {d['name']} {d['version']}: {vuln['id']} "
        f"(fixed in {', '.join(vuln.get('fix_versions') or ['no release yet'])})"
        for d, vuln in found
    ]
    if found:
        lines.append(f"{PREFIX} {len(found)} known vulnerabilities; raise the lower bounds")
        return 1, lines
    note = f"; {len(skipped)} could not be looked up ({', '.join(skipped)})" if skipped else ""
    return 0, [f"{PREFIX} {len(audited)} packages, no known vulnerabilities{note}"]


def main() -> int:
    """Runs pip-audit and prints one line per finding (or one line saying why it did not run)."""
    if importlib.util.find_spec("pip_audit") is None:
        print(f"{PREFIX} not run: pip-audit is not installed (it is in the test extras)")
        return 0
    try:
        done = subprocess.run(COMMAND, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        report = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        report, reason = None, f"pip-audit took over {TIMEOUT_SECONDS} s"
    except json.JSONDecodeError:
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        report, reason = None, lines[-1]
    if report is None:
        print(f"{PREFIX} not run: pip-audit could not complete ({reason})")
        return 0
    status, lines = summarise(report)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
