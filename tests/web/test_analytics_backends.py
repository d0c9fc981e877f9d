"""The analytics views answer the same on SQLite (hourly roll-ups) and on Elasticsearch
(aggregations), and on Elasticsearch each view's aggregations go to the node in one
multi-search: trends page and API, compare, channels, CX. Same reviews in both stores, a
window that starts and ends inside an hour, a reader who sees one brand only."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from models.config import EntityConfig
from models.review import Sentiment
from models.runtime import Runtime
from models.store.elasticsearch.store import ElasticsearchReviewStore
from tests.factories import make_review
from tests.web.conftest import PASSWORD, log_in
from web.app import create_app
from web.security import accounts

SHANGHAI = timezone(timedelta(hours=8))
HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])
START = datetime(2026, 11, 8, 9, 17, 5, tzinfo=SHANGHAI)
END = START + timedelta(days=6, minutes=50)
WINDOW = f"since={quote(START.isoformat())}&until={quote(END.isoformat())}"
VIEWS = [f"/api/compare?entity=yunque&entity=huamei&{WINDOW}",
         f"/api/channels?entity=yunque&{WINDOW}",
         f"/api/channels?entity=huamei&by=platform&{WINDOW}",
         f"/api/cx?entity=yunque&entity=huamei&{WINDOW}",
         f"/api/trends?{WINDOW}&interval=hour",
         f"/api/trends?{WINDOW}&interval=day",
         f"/api/trends?{WINDOW}&group_by=topic",
         f"/trends?{WINDOW}"]


def market() -> list:
    rng = random.Random(16)
    out = []
    for i in range(600):
        out.append(make_review(
            native_id=f"m{i}", source=rng.choice(["demo-appstore", "demo-forum", "imported"]),
            platform=rng.choice(["appstore", "forum"]),
            published_at=START - timedelta(days=7) + timedelta(minutes=rng.randrange(20000)),
            entities=rng.choice([["yunque"], ["huamei"], ["yunque", "huamei"], []]),
            topics=rng.sample(["物流配送", "售后退换", "客服态度", "价格"], rng.choice([0, 1, 2])),
            rating=rng.choice([None, 1.0, 3.0, 4.0, 5.0]), keywords=rng.sample(
                ["电池", "物流", "客服", "很快"], 2),
            sentiment=Sentiment(rng.choice(["negative", "neutral", "positive"]), 0.0, "t")))
    return out


@pytest.fixture
def apps(runtime, tmp_path, es_url, es_prefix):
    config = runtime.config.model_copy(update={"entities": [*runtime.config.entities, HUAMEI]})
    es_store = ElasticsearchReviewStore(tmp_path / "es", url=es_url, index_prefix=es_prefix)
    reviews = market()
    runtimes = {"sqlite": Runtime(config, runtime.config_path, tmp_path / "sqlite")}
    runtimes["sqlite"].store.upsert(reviews)
    es_store.upsert(reviews)
    runtimes["es"] = Runtime(config, runtime.config_path, tmp_path / "es")
    runtimes["es"].__dict__["store"] = es_store  # as the benchmark does: this store, not config's

    def client_for(backend: str, username: str, entities: tuple[str, ...]):
        rt = runtimes[backend]
        accounts.add_user(rt.state, username, "analyst", list(entities), PASSWORD)
        client = create_app(rt, {"TESTING": True}).test_client()
        assert log_in(client, username).status_code == 302
        return client
    yield client_for, es_store
    for rt in runtimes.values():
        rt.close()


def test_views_answer_the_same_on_both_backends_and_in_one_request(apps, monkeypatch):
    client_for, es_store = apps
    sent: list[str] = []
    for name in ("search", "msearch", "count"):
        original = getattr(es_store.client, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            sent.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(es_store.client, name, counted)
    for scope in (("*",), ("huamei",)):
        sqlite = client_for("sqlite", f"s{len(scope[0])}", scope)
        es = client_for("es", f"e{len(scope[0])}", scope)
        for url in VIEWS:
            ours = sqlite.get(url)
            sent.clear()
            theirs = es.get(url)
            assert ours.status_code == theirs.status_code == 200, url
            if url.startswith("/api/"):
                assert ours.get_json() == theirs.get_json(), (scope, url)
                assert ours.get_json() != {}
            else:  # a page differs in its per-request nonces; its figures are the API's
                assert "负面" in theirs.get_data(as_text=True)
            assert sent == ["msearch"], (scope, url, sent)
    cx = client_for("es", "e-cx", ("huamei",)).get(f"/api/cx?entity=yunque&{WINDOW}")
    assert [e["entity"] for e in cx.get_json()["entities"]] == ["huamei"]  # scope holds
