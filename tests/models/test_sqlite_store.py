"""The contract suite on the SQLite backend, plus what only an embedded file store promises."""
from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta

import pytest

from models.store import ReviewQuery, open_review_store
from models.store.sqlite import sql
from models.store.sqlite.store import SQLiteReviewStore
from tests.factories import BASE_TIME, make_review
from tests.models.store_contract import ReviewStoreContract


@pytest.fixture
def store(tmp_path):
    store = SQLiteReviewStore(tmp_path)
    yield store
    store.close()


class TestSQLiteContract(ReviewStoreContract):
    pass


def test_reviews_survive_reopening(tmp_path):
    review = make_review()
    first = SQLiteReviewStore(tmp_path)
    first.upsert([review])
    first.close()
    again = open_review_store("sqlite", tmp_path)
    assert again.get(review.id) == review
    again.close()


def test_a_store_of_an_older_schema_gains_the_new_indexes_and_keeps_its_reviews(tmp_path):
    review = make_review()
    old = SQLiteReviewStore(tmp_path)
    old.upsert([review])
    con = old._con()
    con.execute("DROP INDEX reviews_time_facets")  # as written by schema version 1
    con.execute("PRAGMA user_version=1")
    old.close()
    store = SQLiteReviewStore(tmp_path)
    con = store._con()
    assert con.execute("SELECT name FROM sqlite_master WHERE name = 'reviews_time_facets'"
                       ).fetchone() == ("reviews_time_facets",)
    assert con.execute("PRAGMA user_version").fetchone()[0] >= 2
    assert store.get(review.id) == review
    store.close()


def test_a_version_2_store_gets_its_facet_tables_rebuilt_from_the_reviews(tmp_path):
    t = BASE_TIME
    reviews = [make_review(label="negative", entities=["a", "b"], topics=["价格"],
                           aspects=[("价格", "negative")], published_at=t),
               make_review(entities=["a"], topics=[], aspects=[("包装", "positive")],
                           published_at=t + timedelta(hours=1))]
    old = SQLiteReviewStore(tmp_path)
    old.upsert(reviews)
    con = old._con()
    for table, column in (("review_entities", "entity"), ("review_topics", "topic")):
        con.execute(f"DROP TABLE {table}")  # as written by schema version 2
        con.execute(f"CREATE TABLE {table} ({column} TEXT NOT NULL, review_id TEXT NOT NULL, "
                    f"PRIMARY KEY ({column}, review_id)) WITHOUT ROWID")
        con.execute(f"CREATE INDEX {table}_review ON {table} (review_id)")
    con.executemany("INSERT INTO review_entities VALUES (?, ?)",
                    [("a", reviews[0].id), ("b", reviews[0].id), ("a", reviews[1].id)])
    con.execute("INSERT INTO review_topics VALUES (?, ?)", ("价格", reviews[0].id))
    con.execute("DROP TABLE review_aspects")
    con.execute("PRAGMA user_version=2")
    old.close()

    store = SQLiteReviewStore(tmp_path)
    assert store._con().execute("PRAGMA user_version").fetchone()[0] == sql.SCHEMA_VERSION
    assert store.count(ReviewQuery(entities=("a",), sentiments=("negative",))) == {None: 1}
    assert store.count(ReviewQuery(entities=("a",)), group_by="source") == {"demo-appstore": 2}
    assert store.count(group_by="entity") == {"a": 2, "b": 1}
    assert store.count(group_by="aspect") == {"价格:negative": 1, "包装:positive": 1}
    window = ReviewQuery(topics=("价格",), start=t, end=t + timedelta(hours=2))
    assert [(p.bucket, p.count) for p in store.trend(window, timedelta(hours=1))] == [(t, 1)]
    assert store.get(reviews[1].id) == reviews[1]
    store.close()


def test_a_version_3_store_gains_ratings_and_keywords_from_its_reviews(tmp_path):
    reviews = [make_review(rating=4.5, keywords=["续航", "发热"]),
               make_review(rating=None, keywords=["发热"]), make_review(rating=2.0, keywords=[])]
    old = SQLiteReviewStore(tmp_path)
    old.upsert(reviews)
    con = old._con()
    con.execute("DROP TABLE review_keywords")  # as written by schema version 3
    con.execute("ALTER TABLE reviews DROP COLUMN rating")
    con.execute("PRAGMA user_version=3")
    old.close()

    store = SQLiteReviewStore(tmp_path)
    assert store._con().execute("PRAGMA user_version").fetchone()[0] == sql.SCHEMA_VERSION
    assert store.count(group_by="rating") == {"5": 1, None: 1, "2": 1}
    assert store.keyword_counts(ReviewQuery()) == {"发热": 2, "续航": 1}
    assert store.count(ReviewQuery(keywords=("续航",))) == {None: 1}
    assert [store.get(r.id) for r in reviews] == reviews
    store.close()


def test_unknown_backend_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown review store backend 'nosuch'"):
        open_review_store("nosuch", tmp_path)


def _write_batch(home: str, prefix: str, n: int) -> None:
    store = SQLiteReviewStore(home)
    for i in range(n):
        store.upsert([make_review(source=prefix, native_id=f"{prefix}-{i}")])
    store.close()


def test_concurrent_writer_processes_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_batch, args=(str(tmp_path), f"p{k}", 40)) for k in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    store = SQLiteReviewStore(tmp_path)
    assert store.count(group_by="source") == {"p0": 40, "p1": 40, "p2": 40}
    # every write got its own feed position: walking the feed yields each review once
    page = store.feed(limit=1000)
    assert len({r.id for r in page.reviews}) == 120
    store.close()


def test_threads_share_one_store(tmp_path):
    store = SQLiteReviewStore(tmp_path)
    errors = []

    def work(k: int) -> None:
        try:
            for i in range(20):
                store.upsert([make_review(source=f"t{k}", native_id=f"{k}-{i}")])
                store.search(limit=5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.stats().reviews == 80
    store.close()
