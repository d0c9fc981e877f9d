"""``koubei store check``, ``migrate`` and ``upgrade`` against SQLite and a real node."""
from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from models.store import ReviewQuery
from models.store.base import stable_json
from models.store.elasticsearch.mapping import MAPPINGS, IndexNames, document_parts
from models.store.elasticsearch.store import ElasticsearchReviewStore
from models.store.sqlite.store import SQLiteReviewStore
from tests.es_node import drop_prefix
from tests.factories import BASE_TIME, make_review
from tests.support import free_port
from web.cli.commands.store import store_group


def es_config(path, url, prefix):
    path.write_text(f"store:\n  backend: elasticsearch\n  options:\n    url: {url}\n"
                    f"    index_prefix: {prefix}\n", encoding="utf-8")
    return str(path)


def run(*args):
    return CliRunner().invoke(store_group, list(args))


def test_migrate_sqlite_to_elasticsearch_and_back(tmp_path, home, es_url, es_prefix):
    reviews = [make_review(text=f"第{i}条：质量太差[怒]😡") for i in range(120)]
    sqlite = SQLiteReviewStore(home)
    sqlite.upsert(reviews)
    sqlite.close()
    config = es_config(tmp_path / "koubei.yaml", es_url, es_prefix)

    there = run("migrate", "--from", "sqlite", "--to", "elasticsearch", "--batch-size", "50",
                "--config", config, "--home", str(home))
    assert there.exit_code == 0, there.output
    assert "migrated 120 of 120 reviews; elasticsearch now holds 120" in there.output
    assert "verified" in there.output
    assert f"from sqlite: {home / 'reviews.db'} (120 reviews)" in there.output
    assert f"to elasticsearch: {es_url}" in there.output
    again = run("migrate", "--from", "sqlite", "--to", "elasticsearch", "--config", config,
                "--home", str(home))  # a rerun is safe: same 120, nothing doubled
    assert "migrated 120 of 120 reviews; elasticsearch now holds 120" in again.output
    es = ElasticsearchReviewStore(tmp_path, url=es_url, index_prefix=es_prefix)
    assert es.get(reviews[7].id) == reviews[7]
    es.close()

    back_home = tmp_path / "back"
    back = run("migrate", "--from", "elasticsearch", "--to", "sqlite",
               "--config", config, "--home", str(back_home))
    assert back.exit_code == 0, back.output
    assert "migrated 120 of 120 reviews; sqlite now holds 120" in back.output
    again = SQLiteReviewStore(back_home)
    assert sorted(r.id for r in again.iter_reviews()) == sorted(r.id for r in reviews)
    assert again.get(reviews[3].id) == reviews[3]
    again.close()


def test_same_backend_twice_is_a_usage_error(home):
    result = run("migrate", "--from", "sqlite", "--to", "sqlite", "--home", str(home))
    assert result.exit_code == 2
    assert "same backend" in result.output


def test_check_reports_health_template_alias_and_counts(tmp_path, home, es_url, es_prefix):
    config = es_config(tmp_path / "koubei.yaml", es_url, es_prefix)
    store = ElasticsearchReviewStore(home, url=es_url, index_prefix=es_prefix)
    store.upsert([make_review(), make_review()])
    store.close()
    result = run("check", "--config", config, "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "backend: elasticsearch" in result.output
    assert "reviews: 2" in result.output
    assert "cluster health: " in result.output
    assert f"index template: {es_prefix}-reviews (current)" in result.output
    assert f"{es_prefix}-reviews-2026.11: 2 docs" in result.output


def test_check_of_an_unreachable_cluster_exits_1_naming_the_url(tmp_path, home, monkeypatch):
    monkeypatch.delenv("KOUBEI_ES_URL", raising=False)
    url = f"http://127.0.0.1:{free_port()}"
    config = es_config(tmp_path / "koubei.yaml", url, "nowhere")
    result = run("check", "--config", config, "--home", str(home))
    assert result.exit_code == 1
    assert f"cannot reach Elasticsearch at {url}" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_check_of_the_embedded_store(home, backend):
    SQLiteReviewStore(home).close()
    result = run("check", "--home", str(home))
    assert result.exit_code == 0
    assert "backend: sqlite" in result.output and "reviews: 0" in result.output


def _as_written_before_aspect_keys(client, store, review):
    """Rewrite ``review``'s document as a writer before template version 2 left it."""
    index = store.names.monthly(review.published_at)
    source = client.get(index=index, id=review.id)["_source"]
    del source["aspect_keys"]
    client.index(index=index, id=review.id, document=source, refresh=True)


def test_upgrade_gives_old_documents_their_aspect_keys_without_moving_them(
        tmp_path, home, es_url, es_prefix):
    config = es_config(tmp_path / "koubei.yaml", es_url, es_prefix)
    late = [make_review(aspects=[("物流配送", "negative")]) for _ in range(3)]
    current = make_review(aspects=[("物流配送", "negative")])
    store = ElasticsearchReviewStore(home, url=es_url, index_prefix=es_prefix)
    store.upsert(late + [current, make_review()])
    for review in late:
        _as_written_before_aspect_keys(store.client, store, review)
    head = store.feed().cursor
    slow_delivery = ReviewQuery(aspects=("物流配送:negative",))
    assert store.count(slow_delivery)[None] == 1  # the old documents are missed

    checked = run("check", "--config", config, "--home", str(home))
    assert "documents to upgrade: 3 (run `koubei store upgrade`)" in checked.output
    result = run("upgrade", "--config", config, "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "upgraded 3 documents" in result.output

    assert store.count(slow_delivery)[None] == 4
    assert store.count(ReviewQuery(), group_by="aspect") == {"物流配送:negative": 4}
    assert store.feed(head).reviews == []  # nothing shows up in the live feed again
    assert store.upsert(late).unchanged == 3
    assert "documents to upgrade: 0" in run("check", "--config", config,
                                            "--home", str(home)).output
    store.close()


def test_upgrade_leaves_a_review_rewritten_meanwhile_as_its_writer_left_it(
        home, es_url, es_prefix, monkeypatch):
    from models.store.elasticsearch import upgrade as es_upgrade
    old = make_review(aspects=[("物流配送", "negative")])
    store = ElasticsearchReviewStore(home, url=es_url, index_prefix=es_prefix)
    store.upsert([old])
    _as_written_before_aspect_keys(store.client, store, old)
    rewritten = dataclasses.replace(old, aspects=[("售后服务", "positive")])
    real_send = es_upgrade.send_bulk

    def writer_first(*args, **kwargs):  # a crawler re-ingests the review mid-upgrade
        store.upsert([rewritten])
        return real_send(*args, **kwargs)

    monkeypatch.setattr(es_upgrade, "send_bulk", writer_first)
    result = es_upgrade.upgrade_documents(store)
    assert (result.upgraded, result.replaced, result.rejected) == (0, 1, 0)
    assert store.count(ReviewQuery(), group_by="aspect") == {"售后服务:positive": 1}
    store.close()


def _version_2_index(client, names, reviews):
    """A monthly index as template version 2 made it (no ``reposts``, ``author_followers``
    nor ``reach`` in its mapping) holding ``reviews`` as a version-2 writer left them."""
    old = copy.deepcopy(MAPPINGS)
    for name in ("reposts", "author_followers", "reach"):
        del old["properties"][name]
    client.indices.create(index=names.monthly(BASE_TIME), mappings=old,
                          aliases={names.alias: {}})
    for seq, review in enumerate(reviews, 1):
        stable, digest = stable_json(review.to_dict())
        head, tail = document_parts(review, stable, digest)
        document = json.loads(f"{head}{seq}{tail}")
        del document["reach"]
        client.index(index=names.monthly(BASE_TIME), id=review.id, document=document)
    client.indices.refresh(index=names.monthly(BASE_TIME))


def test_upgrade_indexes_reach_in_an_index_made_before_it(tmp_path, home, es_url, es_prefix):
    prefix = f"{es_prefix}-v2"
    names, client = IndexNames(prefix), Elasticsearch(es_url)
    quiet, shared = make_review(), make_review(reposts=300, likes=20)
    famous = make_review(author_followers=50_000)
    try:
        _version_2_index(client, names, [quiet, shared, famous])
        store = ElasticsearchReviewStore(home, url=es_url, index_prefix=prefix)
        wide = ReviewQuery(min_reach=100)
        assert store.count(wide) == {None: 0}  # before the upgrade: nothing has a reach yet
        config = es_config(tmp_path / "koubei.yaml", es_url, prefix)
        checked = run("check", "--config", config, "--home", str(home))
        assert "documents to upgrade: 3 (run `koubei store upgrade`)" in checked.output
        head = store.feed().cursor

        result = run("upgrade", "--config", config, "--home", str(home))
        assert result.exit_code == 0, result.output
        assert "upgraded 3 documents" in result.output
        assert ids_of(store.search(wide).reviews) == [famous.id, shared.id]
        assert store.count(ReviewQuery(min_reach=321)) == {None: 1}
        # the fields already in _source are indexed now: Elasticsearch sorts by them
        by_reposts = client.search(index=names.alias, sort=[{"reposts": "desc"}],
                                   query={"range": {"reposts": {"gte": 1}}})["hits"]["hits"]
        assert [hit["_id"] for hit in by_reposts] == [shared.id]
        by_reach = client.search(index=names.alias, sort=[{"reach": "desc"}])["hits"]["hits"]
        assert [hit["_id"] for hit in by_reach] == [famous.id, shared.id, quiet.id]
        assert store.get(shared.id) == shared
        assert store.feed(head).reviews == []  # nothing shows up in the live feed again
        assert store.upsert([quiet, shared, famous]).unchanged == 3
        assert "documents to upgrade: 0" in run("check", "--config", config,
                                                "--home", str(home)).output
        store.close()
    finally:
        drop_prefix(client, prefix)
        client.close()


def ids_of(reviews):
    return [r.id for r in reviews]
