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
    assert new.meta["extra_examples"] == {"correction": 1, "stars": 2, "self": 0}
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


def test_the_polarity_head_averages_the_balanced_and_the_plain_svm():
    """Recipe 7: one linear classifier whose weights are the PLAIN_SHARE mix of the SVM fitted
    on every example with its weights and the SVM fitted on the texts alone, unweighted."""
    import numpy as np
    from sklearn.svm import LinearSVC

    from nlp.training.train import PLAIN_SHARE, fit_model, plain_weights, with_clauses
    texts = ["质量很好，很满意", "太差了，退货", "物流很快，包装好", "客服态度差，不会再买",
             "好吃，还会回购", "难吃，失望", "屏幕清晰，推荐", "卡顿，发烫，后悔"]
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    domains = np.array(["a"] * 4 + ["b"] * 4, dtype=object)
    x, y, weights, _ = with_clauses(texts, labels, domains)
    plain = plain_weights(len(texts), len(x))
    assert len(x) > len(texts) and plain.tolist() == [1.0] * 8 + [0.0] * (len(x) - 8)
    weights = weights * np.linspace(0.5, 2.0, len(x))  # any uneven weights
    pipeline, c = fit_model(x, y, weights, [0.5], plain=plain)
    features = pipeline.named_steps["features"]
    matrix = features.transform(x)
    balanced = LinearSVC(C=c, random_state=0, max_iter=5000).fit(matrix, y, sample_weight=weights)
    alone = LinearSVC(C=c, random_state=0, max_iter=5000).fit(matrix[:8], y[:8])
    assert 0 < PLAIN_SHARE < 1
    expected = (1 - PLAIN_SHARE) * balanced.coef_ + PLAIN_SHARE * alone.coef_
    shipped = pipeline.named_steps["classifier"]
    assert np.allclose(shipped.coef_, expected, atol=1e-6)
    assert not np.allclose(balanced.coef_, alone.coef_, atol=1e-3)  # the mix is not either one
    assert shipped.intercept_[0] == pytest.approx(
        (1 - PLAIN_SHARE) * balanced.intercept_[0] + PLAIN_SHARE * alone.intercept_[0])


def test_adapting_to_the_stream_learns_the_streams_own_words(small_corpus, tmp_path, runtime):
    """`koubei train --adapt`: self-training on the stored reviews. The stream's slang is in
    no training row; it comes with clear praise or complaint words, so the model, trained
    again with the stream texts it reads confidently, reads the praise slang as praise (the
    complaint slang was already read as a complaint by this small model)."""
    import itertools

    from tests.factories import make_review
    praise = ["质量很好，很满意", "非常好，推荐购买", "物流快，好评", "很喜欢，值得", "不错不错，满意",
              "做工精致，好看", "性价比高，实惠", "客服热情，专业", "味道很好，新鲜", "用着舒服，方便"]
    complaints = ["太差了，退货", "质量很差，失望", "垃圾，差评", "后悔买了，很差", "坑人，不推荐",
                  "做工粗糙，难看", "太贵了，不值", "客服态度差，敷衍", "味道难吃，不新鲜", "用着难受，麻烦"]
    good, bad = ["绝绝子", "真香", "爱了爱了"], ["拉胯", "翻车现场", "无语子"]
    texts = [f"{p}，{s}" for p, s in itertools.product(praise, good)] + \
            [f"{c}，{s}" for c, s in itertools.product(complaints, bad)]
    runtime.store.upsert([make_review(text=t, rating=None) for t in texts])
    args = ["--data", str(small_corpus), "--config", str(DEMO_CONFIG), "--home", str(runtime.home)]
    before, after = tmp_path / "before.joblib", tmp_path / "after.joblib"
    assert CliRunner().invoke(train_command, [*args, "--out", str(before)]).exit_code == 0
    result = CliRunner().invoke(train_command, [*args, "--out", str(after), "--adapt"])
    assert result.exit_code == 0, result.output
    assert re.search(r"adapting to the stream: \d+ of 60 text\(s\) self-labelled", result.output)
    old, new = SentimentModel.load(before), SentimentModel.load(after)
    assert new.meta["extra_examples"]["self"] > 30
    gained = new.scores(good + bad) - old.scores(good + bad)
    assert min(gained[:3]) > 0.2                      # the stream's praise words read as praise
    assert min(gained[:3]) > max(gained[3:]) + 0.15   # ...and not by a shift of every score
    assert max(new.scores(bad)) < 0                   # its complaint words stay complaints


def test_the_quick_leave_one_domain_out_variant_draws_the_same_capped_rows(tmp_path):
    from nlp.training.crossdomain import domain_rows, stream_half
    path = tmp_path / "d.csv"
    lines = ["text,label,domain,split"]
    for domain in ("酒店", "书籍"):
        lines += [f"{domain}评论{i},{i % 2},{domain},{'train' if i % 4 else 'test'}"
                  for i in range(40)]
    lines.append("说不清,neutral,书籍,train")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    train, held = domain_rows(path)
    assert {d: len(rows) for d, rows in train.items()} == {"书籍": 30, "酒店": 30}
    assert {d: len(rows) for d, rows in held.items()} == {"书籍": 40, "酒店": 40}
    train, held = domain_rows(path, sample=12)
    again = domain_rows(path, sample=12)
    assert all(len(rows) == 12 for rows in (*train.values(), *held.values()))
    assert all(r.split == "train" for rows in train.values() for r in rows)
    assert (train, held) == again  # the same seed draws the same rows
    other = domain_rows(path, sample=12, seed=1)  # another seed, other rows, the same rules
    assert other != (train, held)
    assert all(len(rows) == 12 for rows in (*other[0].values(), *other[1].values()))
    assert all(r.split == "train" for rows in other[0].values() for r in rows)
    # the stream half of a held-out domain is fixed by the text, and neither half is empty
    halves = [stream_half(r.text) for r in held["酒店"]]
    assert any(halves) and not all(halves)
    assert halves == [stream_half(r.text) for r in again[1]["酒店"]]
