"""``koubei reviews``: stored reviews as JSONL, oldest first, filtered."""
from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner

from models.review import Review
from models.store.sqlite.store import SQLiteReviewStore
from tests.factories import BASE_TIME, make_review
from web.cli.commands.data import reviews_command


def test_reviews_as_jsonl_with_filters(home):
    store = SQLiteReviewStore(home)
    early = make_review(source="a", published_at=BASE_TIME, text="早的评论")
    late = make_review(source="a", published_at=BASE_TIME + timedelta(hours=2), text="晚的评论")
    other = make_review(source="b", published_at=BASE_TIME + timedelta(hours=1))
    store.upsert([late, other, early])
    store.close()
    runner = CliRunner()

    everything = runner.invoke(reviews_command, ["--home", str(home), "--format", "jsonl"])
    assert everything.exit_code == 0
    lines = [json.loads(line) for line in everything.output.splitlines()]
    assert [r["id"] for r in lines] == [early.id, other.id, late.id]
    assert Review.from_dict(lines[0]) == early
    assert "早的评论" in everything.output  # Chinese written as is, not \\u-escaped

    since = (BASE_TIME + timedelta(minutes=30)).isoformat()
    filtered = runner.invoke(reviews_command, ["--home", str(home), "--source", "a",
                                               "--since", since])
    assert [json.loads(line)["id"] for line in filtered.output.splitlines()] == [late.id]


def test_bad_since_is_a_usage_error(home):
    result = CliRunner().invoke(reviews_command, ["--home", str(home), "--since", "yesterday"])
    assert result.exit_code == 2
    assert "expected an ISO-8601 time" in result.output


def test_an_invalid_config_is_reported_with_file_and_key(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - {name: r, type: negative_spike, window: soon}\n", encoding="utf-8")
    result = CliRunner().invoke(reviews_command, ["--home", str(home), "--config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: rules[0].window: expected a duration" in result.output
