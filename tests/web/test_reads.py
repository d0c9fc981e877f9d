"""``web.reads.prefetched``: a view's aggregated reads asked of the store together where the
store batches them (Elasticsearch), and the view run only once where it does not (SQLite)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from models.store import ReviewQuery
from tests.factories import BASE_TIME, make_review
from web import reads

DAYS = ReviewQuery(start=BASE_TIME - timedelta(days=1), end=BASE_TIME + timedelta(days=2))


def _view(runs: list):
    def view():
        runs.append(1)
        counts = reads.review_counts(DAYS, "sentiment")
        # a read that depends on an earlier answer: not known on the recording run
        top = max((k for k in counts if k), key=lambda k: counts[k], default=None)
        dependent = replace(DAYS, sentiments=(top,) if top else ())
        return (counts, reads.review_trend(DAYS, timedelta(days=1)),
                reads.review_counts(dependent), reads.review_counts(dependent))
    return view


def _fill(store):
    store.upsert([make_review(label=label) for label in ("negative", "negative", "positive")])


def test_a_store_that_does_not_batch_runs_the_view_once(app, store):
    _fill(store)
    assert not store.batches_aggregations
    runs: list = []
    with app.test_request_context():
        alone = _view([])()
        assert reads.prefetched(_view(runs)) == alone
    assert len(runs) == 1


def test_a_batching_store_is_asked_once_and_answers_as_the_view_alone(app, store, monkeypatch):
    _fill(store)
    asked: list = []
    original = store.aggregate

    def aggregate(requests):
        asked.append([r.method for r in requests])
        return original(requests)
    monkeypatch.setattr(store, "batches_aggregations", True, raising=False)
    monkeypatch.setattr(store, "aggregate", aggregate)
    runs: list = []
    with app.test_request_context():
        alone = _view([])()
        asked.clear()
        assert reads.prefetched(_view(runs)) == alone
    assert len(runs) == 2  # recorded, then run with the answers
    # one batch of what the recording run asked (the dependent read as it looked with empty
    # answers, unused), then the dependent read as the real run asks it, on its own and once
    # although the view makes it twice
    assert asked == [["count", "trend", "count"], ["count"]]
