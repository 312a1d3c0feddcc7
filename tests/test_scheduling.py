"""How `make test` shares the suite between its two workers (tests/conftest.py)."""

from xdist.scheduler import LoadScopeScheduling

from tests.conftest import ModuleScheduling, scope_of


def test_a_modules_tests_share_a_scope_and_modules_do_not():
    assert scope_of("tests/metrics/test_people.py::test_a[1]") == "tests/metrics/test_people.py"
    assert scope_of("tests/metrics/test_people.py::TestX::test_b") == scope_of(
        "tests/metrics/test_people.py::test_c"
    )
    assert scope_of("tests/etl/test_load.py::test_a") != scope_of("tests/etl/test_hes.py::test_a")


def test_every_browser_test_shares_one_scope():
    """One worker runs them all, in order: the dashboard reads one data directory per
    process, and some browser modules serve their own for a while."""
    assert scope_of("tests/e2e/test_login.py::test_a") == "tests/e2e/"
    assert scope_of("tests/e2e/test_payments.py::test_b[x]") == "tests/e2e/"


def test_the_scheduler_still_overrides_what_xdist_calls():
    """A renamed method in a later pytest-xdist would leave the browser tests spread over
    both workers without a word; this says so instead."""
    assert "_split_scope" in vars(LoadScopeScheduling)
    assert ModuleScheduling._split_scope is not LoadScopeScheduling._split_scope
