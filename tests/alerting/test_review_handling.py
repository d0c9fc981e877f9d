"""The workflow on single reviews: assign, handle (with what was done), reopen; bulk steps
that report what they skipped; the queue and the handling figures."""
from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.respond import review_handling as rh
from models.state import ReviewHandling, StateDB, User
from tests.factories import make_review


@pytest.fixture
def state(tmp_path):
    db = StateDB(f"sqlite:///{tmp_path / 'state.db'}")
    db.create_all()
    with db.session() as session:
        for name in ("li", "zhao", "gone"):
            session.add(User(username=name, role="handler", disabled=name == "gone"))
    yield db
    db.close()


def test_assign_handle_reopen_keeps_a_timeline(state):
    review = make_review(label="negative")
    at = review.crawled_at + timedelta(minutes=7)
    row = rh.assign(state, review, "li", "zhao", at=at - timedelta(minutes=5))
    assert (row.status, row.assignee, row.entities) == ("assigned", "zhao", ["yunque"])
    row = rh.handle(state, review, "zhao", "refunded", "  已退款 99 元  ", at=at)
    assert rh.handle(state, make_review(text="另一条"), "zhao", "other", "说" * 4000).note == "说" * 4000
    assert (row.status, row.outcome, row.note, row.handled_by) == (
        "handled", "refunded", "已退款 99 元", "zhao")
    assert row.handled_at == at and row.arrived_at == review.crawled_at
    with pytest.raises(rh.ReviewHandlingError, match="already handled"):
        rh.handle(state, review, "li", "replied")
    with pytest.raises(rh.ReviewHandlingError, match="reopen it first"):
        rh.assign(state, review, "li", "li")
    row = rh.reopen(state, review.id, "li")
    assert (row.status, row.assignee, row.outcome, row.handled_at) == ("assigned", "zhao", None,
                                                                      None)
    [found] = rh.handlings(state, [review.id, "absent"]).values()
    assert [(e.kind, e.actor) for e in found.events] == [
        ("assigned", "li"), ("handled", "zhao"), ("reopened", "li")]
    assert found.events[1].detail == {"outcome": "refunded", "note": "已退款 99 元"}


def test_a_refused_step_changes_nothing(state):
    review = make_review()
    with pytest.raises(rh.ReviewHandlingError, match="unknown outcome 'thanked'"):
        rh.handle(state, review, "li", "thanked")
    with pytest.raises(rh.ReviewHandlingError, match="a note"):
        rh.handle(state, review, "li", "other", "   ")
    with pytest.raises(rh.ReviewHandlingError, match=f"review {review.id}: a note is at most "
                       "4000 characters, got 4001"):
        rh.handle(state, review, "li", "refunded", "退" * 4001)
    for nobody in ("nobody", "gone"):
        with pytest.raises(rh.ReviewHandlingError, match="no such active user"):
            rh.assign(state, review, "li", nobody)
    with pytest.raises(rh.ReviewHandlingError, match="cannot handle it"):
        rh.assign(state, review, "li", "zhao", may_handle=lambda user, review: False)
    with pytest.raises(rh.ReviewHandlingError, match="nothing to reopen"):
        rh.reopen(state, review.id, "li")
    assert rh.handlings(state, [review.id]) == {}


def test_handling_an_unassigned_review_makes_the_handler_its_owner(state):
    review = make_review()
    row = rh.handle(state, review, "li", "replied", "已在评论区回复")
    assert (row.assignee, row.handled_by) == ("li", "li")
    assert rh.queue(state, "li") == []  # handled: nothing left to do


def test_bulk_steps_apply_to_each_review_and_say_why_not(state):
    reviews = [make_review(label="negative") for _ in range(4)]
    rh.handle(state, reviews[0], "zhao", "replied")
    result = rh.handle_many(state, reviews, "li", "escalated", "转给售后团队")
    assert result.done == [r.id for r in reviews[1:]]
    assert list(result.skipped) == [reviews[0].id]
    assert "already handled" in result.skipped[reviews[0].id]
    rows = rh.handlings(state, [r.id for r in reviews])
    assert rows[reviews[0].id].handled_by == "zhao"  # the skipped one is left as it was
    assert {rows[r.id].outcome for r in reviews[1:]} == {"escalated"}

    more = [make_review() for _ in range(3)]
    result = rh.assign_many(state, more, "li", "zhao",
                            may_handle=lambda user, review: review.id != more[1].id)
    assert result.done == [more[0].id, more[2].id]
    assert "cannot handle it" in result.skipped[more[1].id]
    assert [row.review_id for row in rh.queue(state, "zhao")] == [more[0].id, more[2].id]


def test_figures_count_reviews_handled_and_time_to_handle(state):
    reviews = [make_review(label="negative") for _ in range(3)]
    for review, minutes, outcome, who in zip(reviews, (10, 30, 50),
                                             ("replied", "replied", "refunded"),
                                             ("li", "zhao", "li")):
        rh.handle(state, review, who, outcome, at=review.crawled_at + timedelta(minutes=minutes))
    rh.assign(state, make_review(), "li", "li")  # assigned, not handled: not counted
    since = reviews[0].crawled_at
    figures = rh.handling_figures(rh.handled_between(state, since))
    assert figures.handled == 3
    assert figures.median_seconds == 30 * 60
    assert figures.by_outcome == {"replied": 2, "refunded": 1}
    assert figures.by_handler == {"li": 2, "zhao": 1}
    assert rh.handling_figures([]).to_dict() == {
        "handled": 0, "median_seconds": None, "by_outcome": {}, "by_handler": {}}
    later = reviews[2].crawled_at + timedelta(minutes=40)
    assert [r.review_id for r in rh.handled_between(state, later)] == [reviews[2].id]
    with state.session() as session:
        assert session.query(ReviewHandling).count() == 4


def test_changes_since_a_time_are_the_latest_ones_oldest_first(state):
    reviews = [make_review() for _ in range(4)]
    start = reviews[0].crawled_at
    for i, review in enumerate(reviews):
        rh.assign(state, review, "li", "zhao", at=start + timedelta(minutes=i))
    changed = rh.changed_since(state, start + timedelta(minutes=1))
    assert [row.review_id for row in changed] == [r.id for r in reviews[1:]]
    assert [row.review_id for row in rh.changed_since(state, start, limit=2)] == [
        r.id for r in reviews[2:]]
