"""Board commentary storage (wholesystem.commentary): written per metric, area and board
period beside the users, every version kept, a rewrite clears the approval, bad input is
refused with one sentence and nothing stored."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from wholesystem import commentary
from wholesystem.commentary import MAX_TEXT_LENGTH, CommentaryError
from wholesystem.settings import Settings

AUG, JUN, APR = date(2026, 8, 1), date(2026, 6, 1), date(2026, 4, 1)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def stored(settings: Settings) -> int:
    if not settings.users_path.exists():
        return 0
    with sqlite3.connect(settings.users_path) as connection:
        return connection.execute("SELECT count(*) FROM commentary").fetchone()[0]


def test_written_commentary_is_the_current_one_with_its_author_and_time(settings):
    assert commentary.for_period(settings, AUG) == {} and not settings.users_path.exists()
    written = commentary.write(
        settings, "bed_days", "AREA1", AUG, "  Up   by 4%\n in\twinter. ", "anna",
        action="Discharge to assess pilot from September.",
    )  # fmt: skip
    assert (written.text, written.action, written.author) == (
        "Up by 4%\nin winter.",
        "Discharge to assess pilot from September.",
        "anna",
    )
    assert datetime.fromisoformat(written.written_at).tzinfo is not None
    assert not written.approved and written.replaced_by is None
    assert commentary.for_period(settings, AUG) == {("bed_days", "AREA1"): written}
    assert commentary.for_period(settings, AUG, ["AREA2"]) == {}
    assert commentary.for_period(settings, JUN) == {}


def test_a_rewrite_keeps_the_earlier_version_and_clears_the_approval(settings):
    first = commentary.write(settings, "bed_days", "AREA1", AUG, "First.", "anna")
    approved = commentary.approve(settings, first.id, "adam")
    assert (approved.approved_by, approved.approved) == ("adam", True)
    assert approved.approved_at is not None
    second = commentary.write(settings, "bed_days", "AREA1", AUG, "Second.", "anna")
    assert not second.approved
    assert commentary.for_period(settings, AUG)[("bed_days", "AREA1")] == second
    history = commentary.history(settings, "bed_days", "AREA1", AUG)
    assert [c.text for c in history] == ["Second.", "First."]
    assert history[1].replaced_by == second.id and history[1].approved_by == "adam"
    with pytest.raises(CommentaryError, match="rewritten since"):
        commentary.approve(settings, first.id, "adam")
    assert stored(settings) == 2


def test_previous_is_what_was_said_at_the_latest_earlier_board(settings):
    commentary.write(settings, "bed_days", "AREA1", APR, "April's.", "anna")
    june = commentary.write(settings, "bed_days", "AREA1", JUN, "June's.", "anna")
    commentary.write(settings, "bed_days", "AREA1", AUG, "August's.", "anna")
    commentary.write(settings, "bed_days", "AREA2", JUN, "Other area.", "anna")
    assert commentary.previous(settings, "bed_days", "AREA1", AUG) == june
    assert commentary.previous(settings, "bed_days", "AREA1", JUN).text == "April's."
    assert commentary.previous(settings, "bed_days", "AREA1", APR) is None
    assert commentary.previous(settings, "acsc_all", "AREA1", AUG) is None
    latest = commentary.latest_before(settings, AUG, ["AREA1"])
    assert latest == {("bed_days", "AREA1"): june}


def test_approved_only_reads_leave_out_what_awaits_approval(settings):
    june = commentary.write(settings, "bed_days", "AREA1", JUN, "June's.", "anna")
    commentary.approve(settings, june.id, "adam")
    august = commentary.write(settings, "bed_days", "AREA1", AUG, "August's.", "anna")
    commentary.write(settings, "bed_days", "AREA2", AUG, "Other area's.", "anna")
    assert set(commentary.for_period(settings, AUG)) == {
        ("bed_days", "AREA1"), ("bed_days", "AREA2")
    }  # fmt: skip
    assert commentary.for_period(settings, AUG, ["AREA1"]) == {("bed_days", "AREA1"): august}
    assert commentary.for_period(settings, AUG, approved_only=True) == {}
    october = date(2026, 10, 1)
    # The last board's, for a viewer: the latest approved one, not the newer unapproved.
    assert commentary.previous(settings, "bed_days", "AREA1", october) == august
    last = commentary.previous(settings, "bed_days", "AREA1", october, approved_only=True)
    assert last.text == "June's." and last.approved
    assert commentary.latest_before(settings, october, ["AREA1"], approved_only=True) == {
        ("bed_days", "AREA1"): last
    }  # fmt: skip
    assert commentary.latest_before(settings, october, []) == {}


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        (("no_such_metric", "AREA1", AUG, "Text."), "there is no indicator 'no_such_metric'"),
        (("bed_days", "AREA1", date(2026, 8, 2), "Text."), "is not a board period"),
        (("bed_days", "AREA1", "2026-08-01", "Text."), "is not a board period"),
        (("bed_days", "AREA1", date(2026, 9, 1), "Text."), "is not a board period"),
        (("bed_days", "", AUG, "Text."), "needs the org code"),
        (("bed_days", "AREA1", AUG, "   "), "needs a line saying what happened"),
        (("bed_days", "AREA1", AUG, "x" * (MAX_TEXT_LENGTH + 1)), f"at most {MAX_TEXT_LENGTH}"),
    ],
)
def test_bad_commentary_is_refused_in_one_sentence_and_nothing_is_stored(
    settings, arguments, sentence
):
    with pytest.raises(CommentaryError, match=sentence) as refused:
        commentary.write(settings, *arguments, "anna")
    assert "\n" not in str(refused.value)
    assert stored(settings) == 0


def test_approving_an_unknown_commentary_is_refused(settings):
    with pytest.raises(CommentaryError, match="no commentary with id 99"):
        commentary.approve(settings, 99, "adam")


def test_reading_never_writes_the_users_file(settings):
    """Showing a page reads commentary; it must not create the table in a users file
    that has none (a read-only reader, such as a published sample, stays untouched)."""
    settings.users_path.parent.mkdir(parents=True)
    with sqlite3.connect(settings.users_path) as connection:
        connection.execute("CREATE TABLE users (name TEXT)")
    assert commentary.for_period(settings, AUG) == {}
    assert commentary.previous(settings, "bed_days", "AREA1", AUG) is None
    with sqlite3.connect(settings.users_path) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert [name for (name,) in tables] == ["users"]
