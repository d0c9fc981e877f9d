import pytest
from click.testing import CliRunner

from models.runtime import DEMO_CONFIG
from nlp.corrections import CorrectionError, corrections_path, read_corrections, record_correction
from nlp.training.weak import star_examples
from tests.factories import make_review
from web.cli.commands.nlp import label_command


def test_latest_correction_per_review_wins(home):
    record_correction(home, "r1", "negative", "还行吧")
    record_correction(home, "r2", "positive", "不错")
    record_correction(home, "r1", "positive", "还行吧", by="alice")
    corrections, problems = read_corrections(home)
    assert problems == []
    assert [(c.review_id, c.label, c.by) for c in corrections] == [
        ("r2", "positive", "cli"), ("r1", "positive", "alice")]


def test_bad_lines_are_reported_and_skipped(home):
    record_correction(home, "r1", "negative", "太差")
    with open(corrections_path(home), "a", encoding="utf-8") as handle:
        handle.write("r2,great,好,2026-11-02T00:00:00+00:00,cli\n")
    record_correction(home, "r3", "positive", "很好")
    corrections, problems = read_corrections(home)
    assert [c.review_id for c in corrections] == ["r1", "r3"]
    assert problems == [f"{corrections_path(home)}:3: unknown label 'great'"]


def test_refuses_unknown_labels_and_empty_text(home):
    with pytest.raises(CorrectionError, match="review r1: unknown label 'good'"):
        record_correction(home, "r1", "good", "好")
    with pytest.raises(CorrectionError, match="review r1: has no text"):
        record_correction(home, "r1", "positive", "  ")
    assert not corrections_path(home).exists()


def test_label_command_records_a_stored_review(runtime, home):
    review = make_review(text="包装破了，不过东西还行", label="negative")
    runtime.store.upsert([review])
    args = ["--config", str(DEMO_CONFIG), "--home", str(home)]
    result = CliRunner().invoke(label_command, [*args, review.id, "positive"])
    assert result.exit_code == 0, result.output
    assert f"review {review.id}: negative -> positive" in result.output
    corrections, _ = read_corrections(home)
    assert [(c.review_id, c.label, c.text) for c in corrections] == [
        (review.id, "positive", "包装破了，不过东西还行")]

    missing = CliRunner().invoke(label_command, [*args, "nope", "positive"])
    assert missing.exit_code == 1 and "review nope: not in the store" in missing.stderr
    wrong = CliRunner().invoke(label_command, [*args, review.id, "great"])
    assert wrong.exit_code == 2 and "great" in wrong.stderr


def test_star_ratings_as_weak_labels():
    reviews = [make_review(rating=5.0, text="很好"), make_review(rating=1.0, text="很差"),
               make_review(rating=3.0, text="一般"), make_review(rating=None, text="无评分"),
               make_review(rating=5.0, text="加微信", flags=["spam"])]
    assert [(e.text, e.label, e.source) for e in star_examples(reviews)] == [
        ("很好", "positive", "stars"), ("很差", "negative", "stars")]
