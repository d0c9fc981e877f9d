"""Re-labelling stored reviews after a model change (``koubei reanalyze``, ``web.reanalyze``,
``/admin/reanalyze``), on SQLite and on Elasticsearch: labels follow the new model, counts and
roll-ups stay exact, ``--since`` limits the reviews, the live feed does not see them again,
an interrupted job resumes where it stopped, and a bad ``--since`` is a clear error.

The model change is real: a second small artifact trained on a slice of the shared data with
its labels swapped, so that it calls negative what the shipped model calls positive."""
from __future__ import annotations

import csv
import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerting.detect.rules.crisis_keyword import CrisisKeywordConfig
from models.review import utcnow
from models.runtime import Runtime
from models.state import Incident
from models.store import ReviewQuery
from models.store.elasticsearch.store import ElasticsearchReviewStore
from nlp.enrich import Enricher
from nlp.sentiment import SentimentModel
from nlp.training.corpus import REPO_DATA
from nlp.training.train import train
from tests.factories import make_review
from tests.support import require
from tests.web.conftest import PASSWORD, csrf_of, log_in
from web import reanalyze
from web.app import create_app
from web.cli import main as cli
from web.security import accounts

START = datetime(2026, 11, 2, 8, tzinfo=timezone.utc)
NEGATIVE = ["电池续航太差了，一天要充三次电，后悔买了", "客服态度恶劣，退货拖了半个月还没处理",
            "质量太差，用了两天就坏了，垃圾", "屏幕有坏点，联系售后一直不回复，太失望了"]
POSITIVE = ["物流很快，包装完好，非常满意", "屏幕清晰，运行流畅，推荐购买",
            "性价比很高，家人都说好用", "拍照效果很棒，续航也不错，好评"]
PER_SPLIT = {"train": 600, "dev": 200, "test": 200}


@pytest.fixture(scope="session")
def swapped_artifact(tmp_path_factory) -> Path:
    """A small artifact trained with every label swapped: a real, different model."""
    require(REPO_DATA.exists(), f"the shared training data at {REPO_DATA}")
    folder = tmp_path_factory.mktemp("swapped-model")
    taken = {(s, label): 0 for s in PER_SPLIT for label in ("0", "1")}
    rows = []
    with open(REPO_DATA, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["split"], row["label"])
            if key in taken and taken[key] < PER_SPLIT[row["split"]] // 2:
                taken[key] += 1
                rows.append({**row, "label": "1" if row["label"] == "0" else "0"})
    data = folder / "swapped.csv"
    with open(data, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return train(data, folder / "swapped.joblib").path


@pytest.fixture(scope="session")
def swapped_model(swapped_artifact) -> SentimentModel:
    return SentimentModel.load(swapped_artifact)


@pytest.fixture(params=["sqlite", "elasticsearch"])
def stored(request, runtime, tmp_path):
    """The demo runtime on each backend, holding 16 reviews labelled by the shipped model, one
    every 6 hours from ``START``."""
    if request.param == "elasticsearch":
        url, prefix = request.getfixturevalue("es_url"), request.getfixturevalue("es_prefix")
        rt = Runtime(runtime.config, runtime.config_path, tmp_path / "es")
        rt.__dict__["store"] = ElasticsearchReviewStore(tmp_path / "es", url=url,
                                                        index_prefix=prefix)
        request.addfinalizer(rt.close)
    else:
        rt = runtime
    reviews = [make_review(native_id=f"n{i}", text=text, published_at=START + timedelta(hours=6 * i),
                           entities=["yunque"])
               for i, text in enumerate(NEGATIVE + POSITIVE + NEGATIVE + POSITIVE)]
    Enricher(rt.config.entities).enrich(reviews)
    rt.store.upsert(reviews)
    return rt


def labels(rt) -> dict[str, str]:
    return {r.id: r.sentiment.label for r in rt.store.iter_reviews()}


def exact_counts(rt) -> None:
    """Every count the store answers equals a count over the reviews it returns."""
    reviews = list(rt.store.iter_reviews())
    whole = ReviewQuery(start=START - timedelta(days=1), end=START + timedelta(days=10))
    direct = Counter(r.sentiment.label for r in reviews)
    assert rt.store.count(whole, group_by="sentiment") == dict(direct)
    for label in ("negative", "positive", "neutral"):
        q = ReviewQuery(sentiments=(label,), start=whole.start, end=whole.end)
        trend = rt.store.trend(q, timedelta(days=1))
        assert sum(p.count for p in trend) == direct[label]
        assert rt.store.count(q) == {None: direct[label]}
    if hasattr(rt.store, "rebuild_rollups"):  # SQLite: the roll-ups kept on write are exact
        con = rt.store._con()
        tables = [row[0] for row in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rollup_%'")]
        kept = {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in tables}
        rt.store.rebuild_rollups()
        assert kept == {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in tables}


def run_job(rt, model, since=None):
    job_id = reanalyze.start_job(rt, "test", since, model.version)
    return reanalyze.run(rt, job_id, reanalyze.enricher_for(rt, model))


def test_a_new_model_relabels_the_stored_reviews_in_place(stored, swapped_model):
    before = labels(stored)
    assert Counter(before.values())["negative"] >= 6  # the shipped model reads them right
    head = stored.store.feed().cursor
    job = run_job(stored, swapped_model)
    after = labels(stored)
    assert (job.status, job.done, job.total) == ("done", 16, 16)
    changed = [rid for rid in before if before[rid] != after[rid]]
    assert len(changed) == job.relabelled >= 10
    assert job.written >= job.relabelled and job.skipped == 0
    assert {r.sentiment.model for r in stored.store.iter_reviews()} == {swapped_model.version}
    exact_counts(stored)
    assert stored.store.feed(head).reviews == []  # nothing shows up in the live feed again
    assert stored.store.stats().reviews == 16
    again = run_job(stored, swapped_model)  # nothing left to change
    assert (again.done, again.relabelled, again.written) == (16, 0, 0)


def test_since_limits_the_reviews_relabelled(stored, swapped_model):
    since = START + timedelta(hours=6 * 10)
    before = {r.id: (r.published_at, r.sentiment.model) for r in stored.store.iter_reviews()}
    job = run_job(stored, swapped_model, since)
    assert (job.done, job.total) == (6, 6)
    for review in stored.store.iter_reviews():
        published, model = before[review.id]
        assert review.sentiment.model == (swapped_model.version if published >= since else model)
    exact_counts(stored)


def test_an_interrupted_job_resumes_where_it_stopped(stored, swapped_model, monkeypatch):
    monkeypatch.setattr(reanalyze, "BATCH", 5)
    job_id = reanalyze.start_job(stored, "test", None, swapped_model.version)
    enricher = reanalyze.enricher_for(stored, swapped_model)
    calls, failing = [], [2]
    original = stored.store.relabel

    def failing_second_batch(pairs):
        calls.append(len(pairs))
        if len(calls) in failing:
            raise OSError("disk went away")
        return original(pairs)
    monkeypatch.setattr(stored.store, "relabel", failing_second_batch)
    failed = reanalyze.run(stored, job_id, enricher)
    assert (failed.status, failed.done) == ("failed", 5) and "disk went away" in failed.error
    models = Counter(r.sentiment.model for r in stored.store.iter_reviews())
    assert models[swapped_model.version] == 5  # the first batch, oldest first
    calls.clear()
    failing.clear()
    done = reanalyze.run(stored, job_id, enricher)
    assert (done.status, done.done, done.total) == ("done", 16, 16)
    assert calls == [5, 5, 1]  # only the reviews after the first batch
    assert {r.sentiment.model for r in stored.store.iter_reviews()} == {swapped_model.version}
    exact_counts(stored)


def test_a_relabelled_crisis_review_raises_no_notice_again(runtime, swapped_model):
    crisis = CrisisKeywordConfig(name="crisis", type="crisis_keyword", terms=["爆炸"])
    runtime.config = runtime.config.model_copy(update={"rules": [crisis]})
    review = make_review(text="充电时电池爆炸了，太差了", published_at=utcnow() - timedelta(minutes=2))
    Enricher(runtime.config.entities).enrich([review])
    runtime.store.upsert([review])
    runtime.reviews_stored([review])  # as ingest does: the crisis check opens its incident
    heard = []
    runtime.stored_hooks.append(lambda rt, reviews: heard.extend(reviews))
    with runtime.state.session() as session:
        assert session.query(Incident).count() == 1
    job = run_job(runtime, swapped_model)
    assert (job.status, job.written) == ("done", 1)
    assert runtime.store.get(review.id).sentiment.model == swapped_model.version
    assert heard == []  # no store hook ran: the crisis check never saw it again
    with runtime.state.session() as session:
        assert session.query(Incident).count() == 1


def test_cli_reanalyze_since_and_its_errors(runtime, swapped_model, swapped_artifact):
    Enricher(runtime.config.entities).enrich(reviews := [
        make_review(native_id=f"c{i}", text=text, published_at=START + timedelta(days=i))
        for i, text in enumerate(NEGATIVE)])
    runtime.store.upsert(reviews)
    head = runtime.store.feed().cursor
    where = ["--home", str(runtime.home), "--config", str(runtime.config_path)]
    runner = CliRunner()
    done = runner.invoke(cli, ["reanalyze", *where, "--model", str(swapped_artifact),
                               "--since", "2026-11-04"])
    assert done.exit_code == 0, done.output
    assert "job 1: re-labelling 2 reviews (since 2026-11-04T00:00:00+00:00)" in done.output
    assert "looked at 2 reviews; 2 changed sentiment, 2 rewritten" in done.output
    models = [runtime.store.get(r.id).sentiment.model for r in reviews]
    assert models[2:] == [swapped_model.version] * 2 and swapped_model.version not in models[:2]
    assert runtime.store.feed(head).reviews == []

    bad = runner.invoke(cli, ["reanalyze", *where, "--since", "last tuesday"])
    assert bad.exit_code == 2
    assert "--since" in bad.output and "expected an ISO-8601 time" in bad.output
    assert "last tuesday" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(cli, ["reanalyze", *where, "--model", "/nowhere/model.joblib"])
    assert missing.exit_code == 1 and "/nowhere/model.joblib" in missing.output
    unknown = runner.invoke(cli, ["reanalyze", *where, "--resume", "99"])
    assert unknown.exit_code == 2 and "no re-labelling job 99" in unknown.output
    finished = runner.invoke(cli, ["reanalyze", *where, "--resume", "1"])
    assert finished.exit_code == 2 and "job 1 is done already" in finished.output
    assert [j.id for j in reanalyze.recent(runtime)] == [1]  # the errors started no job
    busy = reanalyze.start_job(runtime, "web", None, "m")  # running elsewhere, say the page
    again = runner.invoke(cli, ["reanalyze", *where, "--model", str(swapped_artifact)])
    assert again.exit_code == 1 and f"job {busy} is still running" in again.output
    twice = runner.invoke(cli, ["reanalyze", *where, "--resume", str(busy)])
    assert twice.exit_code == 1 and f"job {busy} is still running" in twice.output


def test_an_admin_starts_a_job_on_the_page_and_sees_its_progress(runtime):
    """The page's job labels with the current (shipped) model: reviews stored with made-up
    labels of an older model are corrected."""
    wrong = [make_review(native_id=f"w{i}", text=text, label="positive",
                         published_at=START + timedelta(hours=i))
             for i, text in enumerate(NEGATIVE)]
    runtime.store.upsert(wrong)
    accounts.add_user(runtime.state, "root", "admin", ["*"], PASSWORD)
    accounts.add_user(runtime.state, "ana", "analyst", ["*"], PASSWORD)
    app = create_app(runtime, {"TESTING": True})
    admin = app.test_client()
    assert log_in(admin, "root").status_code == 302
    page = admin.get("/admin/reanalyze")
    assert page.status_code == 200 and "重新分析已存评论" in page.get_data(as_text=True)
    bad = admin.post("/admin/reanalyze", data={"since": "2026-13-45",
                                               "csrf_token": csrf_of(admin, "/admin/reanalyze")},
                     follow_redirects=True)
    assert "日期无效：2026-13-45" in bad.get_data(as_text=True)
    assert reanalyze.recent(runtime) == []
    started = admin.post("/admin/reanalyze", data={
        "since": "", "csrf_token": csrf_of(admin, "/admin/reanalyze")})
    assert started.status_code == 302
    [job] = reanalyze.recent(runtime)
    deadline = time.monotonic() + 60
    while reanalyze.job(runtime, job.id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    job = reanalyze.job(runtime, job.id)
    assert (job.status, job.done, job.actor) == ("done", 4, "root")
    assert job.relabelled >= 3
    assert Counter(r.sentiment.label for r in runtime.store.iter_reviews())["negative"] >= 3
    html = admin.get("/admin/reanalyze").get_data(as_text=True)
    assert re.search(r"完成：检查 4 条，情感改变 \d 条", html)
    english = admin.get("/admin/reanalyze?lang=en").get_data(as_text=True)
    assert "Re-analyse stored reviews" in english
    analyst = app.test_client()
    assert log_in(analyst, "ana").status_code == 302
    assert analyst.get("/admin/reanalyze").status_code in (403, 404)
    assert analyst.post("/admin/reanalyze", data={}).status_code in (400, 403, 404)
