"""Correcting a review's sentiment from the web: the review page's form and
POST /api/reviews/<id>/label, recorded for the next `koubei train`."""
from __future__ import annotations

import csv
import re

from nlp.corrections import corrections_path, read_corrections
from nlp.training.weak import correction_examples
from tests.factories import make_review
from tests.web.conftest import csrf_of


def _rows(runtime) -> list[dict]:
    with open(corrections_path(runtime.home), encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_api_records_a_correction_the_next_training_learns(client, store, runtime):
    review = make_review(text="电池一天三充", title="续航", label="positive")
    store.upsert([review])
    response = client.post(f"/api/reviews/{review.id}/label", json={"label": "negative"},
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 201
    body = response.get_json()["correction"]
    assert (body["review_id"], body["label"], body["model_label"], body["by"]) == \
        (review.id, "negative", "positive", "root")
    [row] = _rows(runtime)
    assert (row["review_id"], row["label"], row["text"], row["by"]) == \
        (review.id, "negative", "续航。电池一天三充", "root")
    examples, problems = correction_examples(runtime.home)
    assert problems == [] and [(e.text, e.label) for e in examples] == [("续航。电池一天三充", "negative")]
    # the stored review keeps the model's label until the model is retrained
    assert store.get(review.id).sentiment.label == "positive"


def test_api_with_a_token_and_the_latest_correction_wins(client, signed_in, anonymous, store,
                                                          runtime):
    review = make_review(text="还行吧")
    store.upsert([review])
    assert client.post(f"/api/reviews/{review.id}/label", json={"label": "negative"},
                       headers={"X-CSRF-Token": csrf_of(client, "/")}).status_code == 201
    handler = signed_in("zhang", "handler")
    page = handler.post("/account/tokens", data={"name": "ci", "csrf_token": csrf_of(
        handler, "/account")}).get_data(as_text=True)
    token = re.search(r"kb_[A-Za-z0-9_-]+", page)[0]
    by_token = anonymous.post(f"/api/reviews/{review.id}/label", json={"label": "neutral"},
                              headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 201
    corrections, _ = read_corrections(runtime.home)
    assert [(c.label, c.by) for c in corrections] == [("neutral", "zhang")]
    assert [r["by"] for r in _rows(runtime)] == ["root", "zhang"]  # the history stays


def test_bad_requests_are_400_or_404_and_record_nothing(client, signed_in, store, runtime):
    review = make_review(entities=["yunque"])
    theirs = make_review(entities=["huamei"], text="华美冰箱漏水")
    store.upsert([review, theirs])
    headers = {"X-CSRF-Token": csrf_of(client, "/")}
    bad_label = client.post(f"/api/reviews/{review.id}/label", json={"label": "angry"},
                            headers=headers)
    assert bad_label.status_code == 400
    assert bad_label.get_json()["error"]["parameter"] == "label"
    not_json = client.post(f"/api/reviews/{review.id}/label", data="label=negative",
                           headers=headers)
    assert not_json.status_code == 400
    missing = client.post("/api/reviews/nope/label", json={"label": "negative"}, headers=headers)
    assert missing.status_code == 404
    scoped = signed_in("li", "analyst", ["yunque"])
    hidden = scoped.post(f"/api/reviews/{theirs.id}/label", json={"label": "negative"},
                         headers={"X-CSRF-Token": csrf_of(scoped, "/")})
    assert hidden.status_code == 404
    no_csrf = client.post(f"/api/reviews/{review.id}/label", json={"label": "negative"})
    assert no_csrf.status_code in (400, 403)
    assert not corrections_path(runtime.home).exists()


def test_review_page_form_records_and_shows_the_correction(client, store, runtime):
    review = make_review(text="物流太慢了", label="positive")
    store.upsert([review])
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "更正情感为" in page and f'action="/reviews/{review.id}/label"' in page
    response = client.post(f"/reviews/{review.id}/label", data={
        "label": "negative", "csrf_token": csrf_of(client, f"/reviews/{review.id}")},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已记录更正：负面" in html and "root 于" in html
    assert [r["label"] for r in _rows(runtime)] == ["negative"]
    refused = client.post(f"/reviews/{review.id}/label", data={
        "label": "angry", "csrf_token": csrf_of(client, f"/reviews/{review.id}")},
        follow_redirects=True)
    assert "请选择负面、中性或正面" in refused.get_data(as_text=True)
    assert len(_rows(runtime)) == 1
