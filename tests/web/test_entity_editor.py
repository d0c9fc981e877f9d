"""The entity editor: which stored reviews an edited brand/product would newly match and stop
matching, saving it (config file kept, audit entry) and re-tagging the stored reviews in the
background with progress."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from models import audit
from models.review import utcnow
from tests.factories import make_review
from tests.web.conftest import csrf_of
from tests.web.test_rule_editor import _client, editable  # noqa: F401 (a fixture)
from web import retag

PAGE = "/admin/entities/yunque-x5"


def _reviews(rt):
    at = utcnow() - timedelta(days=1)
    texts = {"kept": ("云雀 X5 屏幕发热", ["yunque-x5", "yunque"]),
             "lost": ("X5 Pro 屏幕很好", ["yunque-x5", "yunque"]),
             "gained": ("新出的X五真好看", [])}
    reviews = {key: make_review(source="forum", text=text, text_norm=text, entities=entities,
                                published_at=at) for key, (text, entities) in texts.items()}
    rt.store.upsert(list(reviews.values()))
    return reviews


def _form(client, **values):
    page = client.get(PAGE).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', page)[1]
    return {"name": "云雀 X5", "keywords": "X5", "aliases": "x5", "version": version,
            "csrf_token": csrf_of(client, PAGE), **values}


def test_preview_then_save_retags_stored_reviews_in_the_background(editable):  # noqa: F811
    reviews = _reviews(editable)
    admin = _client(editable, "root", "admin")
    edit = dict(keywords="X5, X五", exclude="X5 Pro")
    preview = admin.post(f"{PAGE}/preview", data=_form(admin, **edit))
    html = preview.get_data(as_text=True)
    assert "新匹配 1 条，不再匹配 1 条" in html
    gained = re.search(r'<ul class="gained">(.*?)</ul>', html, re.S)[1]
    lost = re.search(r'<ul class="lost">(.*?)</ul>', html, re.S)[1]
    assert "新出的X五真好看" in gained and "X5 Pro 屏幕很好" in lost
    assert "X5 Pro" not in editable.config_path.read_text(encoding="utf-8")  # not saved yet

    saved = admin.post(f"{PAGE}/save", data=_form(admin, **edit))
    assert saved.status_code == 302
    job_id = int(re.search(r"job=(\d+)", saved.headers["Location"])[1])
    text = editable.config_path.read_text(encoding="utf-8")
    assert "keywords: [X5, X五]" in text and "exclude: [X5 Pro]" in text
    assert text.startswith("# Koubei demo configuration")  # comments kept
    deadline = time.monotonic() + 30
    while retag.job(editable, job_id).status == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    job = retag.job(editable, job_id)
    assert (job.status, job.added, job.removed) == ("done", 1, 1)
    assert job.done == job.total >= 3
    get = editable.store.get
    assert get(reviews["gained"].id).entities == ["yunque-x5", "yunque"]
    assert get(reviews["lost"].id).entities == ["yunque"]
    assert get(reviews["kept"].id).entities == ["yunque-x5", "yunque"]
    page = admin.get(saved.headers["Location"]).get_data(as_text=True)
    assert "重新标注完成" in page and "新增 1，移除 1" in page
    [entry] = audit.entries(editable.state, "entity")
    assert (entry.actor, entry.target) == ("root", "yunque-x5")
    assert entry.detail["changes"]["exclude"] == [None, ["X5 Pro"]]


def test_bad_input_is_shown_and_only_admins_edit(editable):  # noqa: F811
    admin = _client(editable, "root", "admin")
    before = editable.config_path.read_text(encoding="utf-8")
    bad = admin.post(f"{PAGE}/save", data=_form(admin, keywords=""))
    assert bad.status_code == 200
    assert "entities[1].keywords" in bad.get_data(as_text=True)
    assert editable.config_path.read_text(encoding="utf-8") == before
    assert admin.get("/admin/entities/nope").status_code == 404
    analyst = _client(editable, "li", "analyst", ["yunque"])
    assert analyst.get(PAGE).status_code == 403


def test_preview_looks_at_the_newest_reviews_when_there_are_more_than_it_reads(editable):  # noqa: F811
    now = utcnow()
    old = [make_review(source="forum", text=f"老款X五 第{i}条", text_norm=f"老款X五 第{i}条",
                       published_at=now - timedelta(days=5, minutes=i)) for i in range(7)]
    new = [make_review(source="forum", text=f"新出的X五 第{i}条", text_norm=f"新出的X五 第{i}条",
                       published_at=now - timedelta(hours=1, minutes=i)) for i in range(3)]
    editable.store.upsert(old + new)
    [entity] = [e for e in editable.config.entities if e.id == "yunque-x5"]
    entity = entity.model_copy(update={"keywords": ["X五"], "aliases": []})
    result = retag.preview(editable, entity, now - timedelta(days=30), limit=4, examples=10)
    # the three new ones and the newest of the fixture's burst (three days ago), none of the old
    assert (result.scanned, result.gained) == (4, 3)
    assert [r.text for r in result.gained_examples] == [r.text for r in new]
