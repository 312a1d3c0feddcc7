"""Fixtures shared across packages: the sample system, loaded and published once.

The dashboard's unit, security and browser tests all read this snapshot, the same one
`make demo` serves (seed 42, 36 months to October 2026). Building it takes about a
minute, so it is kept in pytest's cache directory under a key made from the source of
everything that shapes it (sample generator, ETL, metrics); any change there rebuilds it.

Many modules build a warehouse of their own, a few hundred MB each; kept to the session's
end they came to over 5 GB, enough to fill a CI machine's disk mid-run. So a module's (or
class's) scratch directories go when its fixtures are torn down, and a passing test's own
`tmp_path` when it passes (`tmp_path_retention_policy = "failed"` in pyproject.toml).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from wholesystem.settings import Settings

SAMPLE_END_MONTH = date(2026, 10, 1)
SHAPING_PACKAGES = ("sample_data", "etl", "metrics", "wholesystem")
ROOT = Path(__file__).resolve().parent.parent
SCRATCH_SCOPES = ("package", "module", "class")
BROWSER_TESTS = "tests/e2e/"
_scratch_made_by: dict[int, set[Path]] = {}


@pytest.fixture(scope="session")
def published_sample(request) -> Settings:
    """Settings whose data directory holds the sample warehouse and a published snapshot."""
    prebuilt = os.environ.get("WHOLESYSTEM_TEST_PUBLISHED_SAMPLE")
    if prebuilt:  # for local iteration only: a published sample built beforehand
        return Settings(data_dir=Path(prebuilt))
    cache = Path(request.config.cache.mkdir("published_sample"))
    data_dir = cache / _source_key()
    # One build at a time: a second test run waits for the first instead of racing it.
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (data_dir / "serving" / "CURRENT").exists():
            for stale in cache.iterdir():
                if stale.name != ".lock":
                    shutil.rmtree(stale, ignore_errors=True)
            building = cache / "building"
            _build(building / "sample", building / "data")
            os.replace(building / "data", data_dir)
            shutil.rmtree(building, ignore_errors=True)
    return Settings(data_dir=data_dir)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Notes the scratch directories a module-, class- or package-scoped fixture makes."""
    if fixturedef.scope not in SCRATCH_SCOPES:
        return (yield)
    # pytest gives no public handle on the session's base directory outside a fixture.
    base = request.config._tmp_path_factory.getbasetemp()
    before = set(base.iterdir())
    try:
        return (yield)
    finally:
        made = set(base.iterdir()) - before
        if made:
            _scratch_made_by.setdefault(id(fixturedef), set()).update(made)


def pytest_fixture_post_finalizer(fixturedef, request) -> None:
    """Removes them once that fixture is torn down: no later test can reach them."""
    for path in _scratch_made_by.pop(id(fixturedef), ()):
        shutil.rmtree(path, ignore_errors=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Orders the tests for `make test`'s two workers: the Spark tests first, then the
    browser tests. They are the two longest runs of one worker each; last, they would
    leave one worker running them alone at the end. Python's sort is stable, so each
    module's own order stands."""
    items.sort(key=_run_order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under `--dist loadscope` (as `make test` runs), a module's tests run together on one
    worker, so its module fixtures are built once, and the browser tests all on one, in
    order: the dashboard reads one data directory per process, and some browser modules
    serve their own for a while and then give the session's server its directory back."""
    if config.getvalue("dist") != "loadscope":
        return None
    return ModuleScheduling(config, log)


class ModuleScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with every browser test in one scope."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)


def scope_of(nodeid: str) -> str:
    """The scope a test runs in under `make test`: its module, or the browser tests'."""
    module = nodeid.split("::", 1)[0]
    return BROWSER_TESTS if module.startswith(BROWSER_TESTS) else module


def _run_order(item) -> int:
    if Path(str(item.fspath)).name == "test_spark_engine.py":
        return 0
    return 1 if scope_of(item.nodeid) == BROWSER_TESTS else 2


def _source_key() -> str:
    digest = hashlib.sha256()
    for package in SHAPING_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".toml", ".csv") and "generated" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _build(sample_dir: Path, data_dir: Path) -> None:
    from etl.load import load_files
    from metrics.publish import publish
    from sample_data.generate import generate
    from wholesystem.cli import DEMO_LOAD_ORDER, record_demo_change_points

    written = generate(sample_dir, seed=42, scale=1.0, end_month=SAMPLE_END_MONTH)
    settings = Settings(data_dir=data_dir)
    files = [path for feed in DEMO_LOAD_ORDER for path in sorted(written.get(feed, []))]
    results = load_files(files, settings, report=lambda message: None)
    assert all(result.outcome != "rejected" for result in results)
    record_demo_change_points(settings, SAMPLE_END_MONTH)  # as `make demo` does
    publish(settings)
    shutil.rmtree(sample_dir, ignore_errors=True)
