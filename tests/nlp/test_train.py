import csv
import re

import pytest
from click.testing import CliRunner

from models.runtime import DEMO_CONFIG
from nlp.sentiment import SentimentModel
from nlp.training.corpus import REPO_DATA, file_hash
from tests.support import require
from web.cli.commands.nlp import train_command

PER_SPLIT = {"train": 600, "dev": 200, "test": 200}


@pytest.fixture
def small_corpus(tmp_path):
    """A balanced slice of the shared labelled CSV, with one bad row in the middle."""
    require(REPO_DATA.exists(), f"the shared training data at {REPO_DATA}")
    taken = {(s, label): 0 for s in PER_SPLIT for label in ("0", "1")}
    rows = []
    with open(REPO_DATA, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["split"], row["label"])
            if taken[key] < PER_SPLIT[row["split"]] // 2:
                taken[key] += 1
                rows.append(row)
    rows.insert(10, {"text": "标签坏了", "label": "?", "domain": "x", "source_dataset": "x",
                     "split": "train"})
    path = tmp_path / "slice.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_training_writes_a_loadable_versioned_artifact(small_corpus, tmp_path):
    out = tmp_path / "artifacts" / "sentiment.joblib"
    result = CliRunner().invoke(train_command, ["--data", str(small_corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and ":12: unknown label '?'" in result.output
    assert "[test]" in result.output and "macro-F1:" in result.output
    model = SentimentModel.load(out)
    assert re.fullmatch(r"sentiment-\d{4}\.\d{2}-[0-9a-f]{8}", model.version)
    assert model.version in result.output
    assert model.meta["data_hash"] == file_hash(small_corpus)
    assert model.meta["train_rows"] == PER_SPLIT["train"]
    assert model.meta["figures"]["test"]["rows"] == PER_SPLIT["test"]
    assert [s.label for s in model.predict(["", "太差了，退货"])][0] == "neutral"
    assert not list(out.parent.glob("*.partial"))


def test_training_is_deterministic(small_corpus, tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.joblib"
        args = ["--data", str(small_corpus), "--out", str(out)]
        assert CliRunner().invoke(train_command, args).exit_code == 0
        runs.append(SentimentModel.load(out))
    texts = ["质量很好", "太差了", "一般般"]
    assert list(runs[0].scores(texts)) == list(runs[1].scores(texts))
    assert runs[0].version == runs[1].version


def test_training_without_data(tmp_path, monkeypatch):
    monkeypatch.setenv("KOUBEI_TRAINING_DATA", str(tmp_path / "missing.csv"))
    result = CliRunner().invoke(train_command, ["--out", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "missing.csv: no such file" in result.stderr
    assert not (tmp_path / "m.joblib").exists()


def test_next_training_learns_from_corrections_and_star_ratings(small_corpus, tmp_path, runtime):
    from nlp.corrections import record_correction
    from tests.factories import make_review
    text = "啾啾鸟音箱绝绝子"
    args = ["--data", str(small_corpus), "--config", str(DEMO_CONFIG), "--home", str(runtime.home)]
    before = tmp_path / "before.joblib"
    assert CliRunner().invoke(train_command, [*args, "--out", str(before)]).exit_code == 0
    record_correction(runtime.home, "r1", "positive", text)
    record_correction(runtime.home, "r1", "negative", text)  # changed their mind: latest wins
    record_correction(runtime.home, "r9", "neutral", "请问有货吗")
    runtime.store.upsert([make_review(rating=1.0, text="音箱杂音很大"),
                          make_review(rating=1.0, text="音箱杂音很大"),  # a repost: a duplicate
                          make_review(rating=5.0, text="音箱音质很棒")])
    after = tmp_path / "after.joblib"
    result = CliRunner().invoke(train_command, [*args, "--out", str(after), "--weak-stars"])
    assert result.exit_code == 0, result.output
    # the neutral correction cannot be used; the repeated text is a duplicate, not unusable
    assert ("extra examples: 1 correction(s), 2 star-rated review(s) (1 not usable, "
            "1 duplicate text(s))") in result.output
    old, new = SentimentModel.load(before), SentimentModel.load(after)
    assert new.meta["extra_examples"] == {"correction": 1, "stars": 2}
    assert new.version != old.version
    assert new.scores([text])[0] < old.scores([text])[0]


def test_balance_weights_even_out_domain_and_label_cells():
    import numpy as np

    from nlp.training.train import balance_weights
    labels = np.array([1] * 8 + [0] * 2 + [1] * 5 + [0] * 5)
    domains = np.array(["hotel"] * 10 + ["books"] * 10, dtype=object)
    weights = balance_weights(labels, domains)
    # four cells of mean size 5: a cell of 8 is weighted down, a cell of 2 up, by the sqrt
    assert weights[0] == pytest.approx(np.sqrt(5 / 8))
    assert weights[8] == pytest.approx(np.sqrt(5 / 2))
    assert weights[10:].tolist() == pytest.approx([1.0] * 10)
    totals = {key: weights[(labels == key[0]) & (domains == key[1])].sum()
              for key in [(1, "hotel"), (0, "hotel")]}
    assert totals[(0, "hotel")] / totals[(1, "hotel")] == pytest.approx(np.sqrt(2 / 8))


def test_several_files_are_one_corpus_and_label3_gives_the_neutral_rows(tmp_path):
    from nlp.training.corpus import corpus_hash, read_corpora
    two_way = tmp_path / "a.csv"
    two_way.write_text("text,label,domain,split\n很好,1,酒店,train\n很差,0,酒店,dev\n",
                       encoding="utf-8")
    three_way = tmp_path / "b.csv"
    three_way.write_text("text,label,label3,emotion,domain,split\n"
                         "开心,1,positive,happy,weibo_emotion,train\n"
                         "该公司成立于1998年,,neutral,neutral,weibo_emotion,train\n"
                         "居然是这样,,,surprise,weibo_emotion,test\n", encoding="utf-8")
    corpus = read_corpora([two_way, three_way])
    assert [(r.text, r.label, r.label3) for r in corpus.rows] == [
        ("很好", "positive", None), ("很差", "negative", None),
        ("开心", "positive", "positive"), ("该公司成立于1998年", "neutral", "neutral")]
    assert corpus.unlabelled == 1 and corpus.problems == []
    assert corpus.paths == [two_way, three_way] and corpus.path == two_way
    assert corpus_hash(corpus) != file_hash(two_way)
    assert corpus_hash(read_corpora(two_way)) == file_hash(two_way)


def test_three_way_choice_of_band_and_neutral_threshold():
    import numpy as np

    from nlp.training.train import choose_three_way, three_way_labels
    # rows: p(negative), p(neutral), p(positive); gold 0 negative, 1 neutral, 2 positive
    p = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.6, 0.2], [0.3, 0.45, 0.25]])
    gold = np.array([0, 2, 1, 1])
    band, tau, f1 = choose_three_way(p, gold, p[:2])
    assert f1 == pytest.approx(1.0)
    assert list(three_way_labels(p, band, tau)) == [0, 2, 1, 1]
    # never more than the allowed share of the reviews called neutral
    reviews = np.array([[0.1, 0.5, 0.4]] * 10)
    band, tau, _ = choose_three_way(p, gold, reviews, max_review_neutral=0.0)
    assert not (three_way_labels(reviews, band, tau) == 1).any()
