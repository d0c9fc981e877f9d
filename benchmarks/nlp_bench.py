"""Sentiment accuracy, segmentation and enrichment speed, each beside a baseline run on the
same data.

- Accuracy on the ``test`` split of the shared labelled reviews; baseline: char 1–3-gram TF-IDF
  + linear SVM trained here on the ``train`` split (the reference pipeline of the data README).
- Unseen domains (``run_domains``, the ``nlp-domains`` benchmark): leave one domain out over
  every domain of the shared labelled data (reviews, Weibo, Weibo emotions, Amazon;
  ``nlp.training.crossdomain``): our recipe and the baseline are trained on the ``train`` rows
  of the other domains and scored on the held-out one.
- Adapting (``run_adapt``, ``nlp-adapt``): self-training on half of a held-out domain's
  texts, scored on the other half beside the same recipe not adapted.
- Three-way (``run_three_way``, ``nlp-3way``): macro-F1 and neutral F1 on the held-out
  ``label3`` test split, beside a three-class char TF-IDF + LinearSVC trained on the ``label3``
  train rows.
- Hard constructions (``run_hard``, ``nlp-hard``): accuracy per construction on the hand-written
  sets of tests/nlp/data/hard_constructions.csv, beside the model without the construction rules.
- Aspects (``run_aspects``, ``nlp-aspects``): three-way accuracy per aspect on the car-forum
  labels (test split), the clause reading beside every aspect given the review's polarity.
- Taxonomies (``run_topics``, ``nlp-topics``): the hand-checked industry examples and the
  autos taxonomy's recall of the car-forum aspects.
- Script consistency: the same label for a review and its traditional-script version.
- Segmentation: tokens of our segmenter (jieba-rs) that match ``jieba.Tokenizer.cut`` with
  the same user dictionary, over the test split.
- Throughput: full enrichment (normalise, segment, sentiment, topics, aspects, keywords) on one
  core, in CPU time of this process (the machine is shared; wall time would count the others'
  work); baseline: plain ``jieba.lcut`` over the same texts, measured the same way. Below it,
  where the time goes: each batch stage of the enrichment timed on its own (µs per review).
"""
from __future__ import annotations

import difflib
import gc
import logging
import os
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone

import jieba
import numpy as np
import opencc
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from benchmarks.table import Figure
from models.review import Review
from nlp.aspects import topical_clauses
from nlp.enrich import Enricher
from nlp.keywords import keywords_many
from nlp.normalize import normalize, normalize_many
from nlp.segment import SLANG_DICT, Segmenter, starts_of, words_of
from nlp.sentiment import SentimentModel
from nlp.training.corpus import default_data_path, default_data_paths, read_corpora, read_corpus
from nlp.training.crossdomain import SAMPLE_SEED, adaptation, leave_one_domain_out
from nlp.training.evaluation import evaluate

BATCH = 256  # reviews per enrich call (the crawl pipeline sends up to 100 at a time, imports 500)


def _baseline(train):
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                             sublinear_tf=True), LinearSVC(C=0.5))
    return pipeline.fit([r.text for r in train], [r.label for r in train])


def _f1(pipeline, rows) -> float:
    return f1_score([r.label for r in rows], pipeline.predict([r.text for r in rows]),
                    average="macro")


def _consistency(model: SentimentModel, rows) -> float:
    to_traditional = opencc.OpenCC("s2t")
    simplified = model.predict([normalize(r.text).text for r in rows])
    traditional = model.predict([normalize(to_traditional.convert(r.text)).text for r in rows])
    return sum(a.label == b.label for a, b in zip(simplified, traditional)) / len(rows)


def _segmentation_agreement(texts: list[str]) -> tuple[float, float]:
    """(share of tokens, share of texts) where our segmenter and jieba agree."""
    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.load_userdict(str(SLANG_DICT))
    ours = Segmenter()
    matched = total = same = 0
    for text in texts:
        theirs = [t for t in reference.cut(text) if not t.isspace()]
        mine = ours.segment(text)
        same += theirs == mine
        total += len(theirs)
        blocks = difflib.SequenceMatcher(None, theirs, mine, autojunk=False).get_matching_blocks()
        matched += sum(block.size for block in blocks)
    return matched / total, same / len(texts)


def _throughput(texts: list[str], warm_up: list[str]) -> tuple[float, float]:
    """Reviews per CPU-second of ``Enricher.enrich`` over ``texts``, after enriching the
    ``warm_up`` texts (other reviews) outside the clock, as a running worker has: the model
    and dictionaries loaded and the per-token memos holding the common words. Then
    ``jieba.lcut`` over the same texts."""
    enricher = Enricher()
    now = datetime.now(timezone.utc)
    reviews = [Review.create("bench", str(i), t, platform="bench", published_at=now)
               for i, t in enumerate(texts)]
    for i in range(0, len(warm_up), BATCH):
        enricher.analyse(warm_up[i:i + BATCH])
    start = time.process_time()
    for i in range(0, len(reviews), BATCH):
        enricher.enrich(reviews[i:i + BATCH])
    ours = len(reviews) / (time.process_time() - start)
    jieba.initialize()
    start = time.process_time()
    for text in texts:
        jieba.lcut(text)
    return ours, len(texts) / (time.process_time() - start)


def _stage_times(texts: list[str]) -> dict[str, float]:
    """CPU µs per review of each batch stage of ``Enricher.analyse``, run one after the
    other over the same batches (with the garbage collector paused, as analyse runs them)."""
    enricher = Enricher()
    enricher.analyse(texts[:50])
    spent: dict[str, float] = defaultdict(float)

    def timed(stage: str, work):
        start = time.process_time()
        result = work()
        spent[stage] += time.process_time() - start
        return result

    gc.disable()
    try:
        for i in range(0, len(texts), BATCH):
            raw = texts[i:i + BATCH]
            norm = [n.text for n in timed("normalise", lambda: normalize_many(raw))]
            cut = timed("segment", lambda: enricher.segmenter.cut_many(norm))
            words = [words_of(tokens, text) for tokens, text in zip(cut, norm)]
            found = timed("topics", lambda: enricher.taxonomy.matches_many(
                norm, lambda k: starts_of(cut[k], norm[k])))
            timed("flags", lambda: enricher.flagger.flags_many(raw, norm))
            timed("search tokens", lambda: enricher.segmenter.search_tokens_many(words))
            timed("keywords", lambda: keywords_many(words))
            clauses = timed("aspect clauses", lambda: topical_clauses(norm, found))
            read = norm + [clause for _, _, clause in clauses]
            timed("sentiment (model alone)", lambda: enricher.model.scores(read))
            timed("sentiment (with rules)", lambda: enricher.model.judge(read))
    finally:
        gc.enable()
    return {stage: seconds / len(texts) * 1e6 for stage, seconds in spent.items()}


def _sample(name: str, default: int | None) -> int | None:
    """A per-domain row cap from the environment (``0``: every row), else ``default``."""
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise SystemExit(f"{name}={value!r}: a number of rows (0 for all)")
    return int(value) or None


def run_domains() -> list[Figure]:
    """Leave-one-domain-out figures over every domain (``python -m benchmarks nlp-domains``;
    slow: two fits per domain, about an hour on the shared machine). The quick variant:
    ``KOUBEI_BENCH_LODO_SAMPLE=N`` (at most N rows per domain, drawn with the seed
    ``KOUBEI_BENCH_LODO_SEED``, default ``SAMPLE_SEED``)."""
    c = float(SentimentModel.load().meta["params"]["C"])
    sample = _sample("KOUBEI_BENCH_LODO_SAMPLE", None)
    seed = os.environ.get("KOUBEI_BENCH_LODO_SEED", str(SAMPLE_SEED))
    if not seed.isdigit():
        raise SystemExit(f"KOUBEI_BENCH_LODO_SEED={seed!r}: a whole number")
    seed = int(seed)
    results = leave_one_domain_out(default_data_paths(), c, baseline=True,
                                   echo=lambda line: print(line, file=sys.stderr, flush=True),
                                   sample=sample, seed=seed)
    figures = []
    of = f", sample of {sample}, seed {seed}" if sample else ""
    for domain, (rows, f1, _, baseline, _) in results.items():
        figures.append(Figure(f"unseen domain {domain} ({rows} texts{of}), macro-F1", f1, "",
                              baseline, "char 1-3 TF-IDF + LinearSVC", "> baseline",
                              f1 > baseline))
    mean = float(np.mean([f.value for f in figures]))
    baseline_mean = float(np.mean([f.baseline for f in figures]))
    figures.append(Figure("unseen domains, mean macro-F1", mean, "", baseline_mean,
                          "char 1-3 TF-IDF + LinearSVC", ">= 0.90 and > baseline",
                          mean >= 0.90 and mean > baseline_mean))
    return figures


ADAPT_DOMAINS = ("热水器", "weibo_emotion", "蒙牛", "weibo", "书籍")


def run_adapt() -> list[Figure]:
    """Adapting to the user's stream (``nlp-adapt``; ``nlp.training.crossdomain.adaptation``):
    each of ``ADAPT_DOMAINS`` held out, half of its rows given as the unlabelled stream, the
    other half scored by the recipe trained without and with self-training on it. At most
    ``KOUBEI_BENCH_ADAPT_SAMPLE`` rows per domain (default 1000; 0: all, slow)."""
    c = float(SentimentModel.load().meta["params"]["C"])
    sample = _sample("KOUBEI_BENCH_ADAPT_SAMPLE", 1000)
    results = adaptation(default_data_paths(), c, set(ADAPT_DOMAINS),
                         echo=lambda line: print(line, file=sys.stderr, flush=True),
                         sample=sample)
    of = f", sample of {sample}" if sample else ""
    figures = [Figure(f"adapted to held-out {domain} ({rows} scored{of}), macro-F1", after, "",
                      before, "the same recipe, not adapted", "> not adapted", after > before)
               for domain, (rows, before, after) in results.items()]
    mean = float(np.mean([f.value for f in figures]))
    before = float(np.mean([f.baseline for f in figures]))
    figures.append(Figure("adapted to the stream, mean macro-F1", mean, "", before,
                          "the same recipe, not adapted", "> not adapted", mean > before))
    return figures


def run_three_way() -> list[Figure]:
    """Three-way figures on the held-out ``label3`` test split (``nlp-3way``)."""
    from sklearn.metrics import precision_recall_fscore_support
    corpus = read_corpora(default_data_paths())
    train = [r for r in corpus.split("train") if r.label3]
    test = [r for r in corpus.split("test") if r.label3]
    model = SentimentModel.load()
    labels = ["negative", "neutral", "positive"]
    gold = [r.label3 for r in test]
    ours = [label for label, _ in model.judge([normalize(r.text).text for r in test])]
    plain = _baseline_rows([r.text for r in train], [r.label3 for r in train])
    theirs = list(plain.predict([r.text for r in test]))
    _, _, f_ours, _ = precision_recall_fscore_support(gold, ours, labels=labels, zero_division=0)
    _, _, f_base, _ = precision_recall_fscore_support(gold, theirs, labels=labels,
                                                      zero_division=0)
    macro, macro_base = float(np.mean(f_ours)), float(np.mean(f_base))
    name = "3-class char 1-3 TF-IDF + LinearSVC on label3 train"
    return [
        Figure(f"three-way macro-F1, label3 test ({len(test)} Weibo posts)", macro, "",
               macro_base, name, ">= 0.75", macro >= 0.75),
        Figure("  neutral F1, label3 test", float(f_ours[1]), "", float(f_base[1]), name),
        Figure("  negative F1, label3 test", float(f_ours[0]), "", float(f_base[0]), name),
        Figure("  positive F1, label3 test", float(f_ours[2]), "", float(f_base[2]), name),
    ]


def run_hard() -> list[Figure]:
    """Accuracy per hard construction on the hand-written sets (``nlp-hard``)."""
    from nlp.training.evaluation import construction_accuracy, read_constructions
    model = SentimentModel.load()
    rows = read_constructions()
    ours = construction_accuracy(model, rows)
    alone = construction_accuracy(model, rows, rules=False)
    return [Figure(f"hard construction: {name} ({n} hand-written), accuracy", acc, "",
                   alone[name][1], "the model without construction rules", ">= 0.85",
                   acc >= 0.85) for name, (n, acc) in ours.items()]


def run_aspects() -> list[Figure]:
    """Car-forum aspect polarity, three-way, on the test split (``nlp-aspects``)."""
    from nlp.segment import default_segmenter
    from nlp.topics import industry_taxonomy
    from nlp.training.evaluation import aspect_predictions, read_aspect_rows
    rows = read_aspect_rows(split="test")
    gold = [row["polarity"] for row in rows]
    clause, overall, found = aspect_predictions(SentimentModel.load(), rows,
                                                industry_taxonomy("auto"), default_segmenter())
    accuracy = float(np.mean([g == p for g, p in zip(gold, clause)]))
    baseline = float(np.mean([g == p for g, p in zip(gold, overall)]))
    majority = max(gold.count(label) for label in set(gold)) / len(gold)
    f1 = f1_score(gold, clause, average="macro")
    f1_base = f1_score(gold, overall, average="macro")
    return [
        Figure(f"aspect polarity, car forum test ({len(rows)} aspects), 3-way accuracy",
               accuracy, "", baseline, "the review's overall polarity", "baseline + 0.10",
               accuracy >= baseline + 0.10),
        Figure("  aspect polarity, 3-way macro-F1", float(f1), "", float(f1_base),
               "the review's overall polarity"),
        Figure("  aspect polarity: share 'neutral' in the gold labels (always-neutral accuracy)",
               majority, ""),
        Figure("  aspect found in a clause by the autos taxonomy", float(np.mean(found)), ""),
    ]


def run_topics() -> list[Figure]:
    """Industry taxonomies on hand-checked examples and the car-forum aspects (``nlp-topics``)."""
    import csv
    from pathlib import Path

    from nlp.segment import default_segmenter
    from nlp.topics import INDUSTRY_TOPICS, industry_taxonomy
    from nlp.training.evaluation import read_aspect_rows
    segmenter = default_segmenter()

    def topics(taxonomy, text):
        norm = normalize(text).text
        cut = segmenter.cut_many([norm])[0]
        return {t for _, _, t in taxonomy.matches(norm, (), starts_of(cut, norm))}

    path = Path(__file__).resolve().parents[1] / "tests" / "nlp" / "data" / "industry_topics.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        examples = list(csv.DictReader(handle))
    figures = []
    for industry in INDUSTRY_TOPICS:
        rows = [r for r in examples if r["industry"] == industry]
        ok = [set(filter(None, r["topics"].split("|"))) <= (found := topics(
            industry_taxonomy(industry), r["text"])) and not found & set(
            filter(None, r["absent"].split("|"))) for r in rows]
        general = [not (set(filter(None, r["absent"].split("|"))) & topics(
            industry_taxonomy(None), r["text"])) for r in rows]
        figures.append(Figure(f"taxonomy {industry}: hand-checked examples right ({len(rows)})",
                              float(np.mean(ok)), "", float(np.mean(general)),
                              "general taxonomy: no forbidden topic", "1.000",
                              all(ok)))
    cars = read_aspect_rows(split="test")
    auto = industry_taxonomy("auto")
    recall = float(np.mean([row["aspect"] in topics(auto, row["text"]) for row in cars]))
    figures.append(Figure(f"taxonomy auto: car-forum aspect found in its post ({len(cars)})",
                          recall, ""))
    return figures


def _baseline_rows(texts, labels):
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                             sublinear_tf=True), LinearSVC(C=0.5))
    return pipeline.fit(list(texts), list(labels))


def run() -> list[Figure]:
    corpus = read_corpus(default_data_path())
    train, test = corpus.require("train"), corpus.require("test")
    model = SentimentModel.load()
    ours = evaluate(model, test)
    baseline = _f1(_baseline(train), test)
    consistency = _consistency(model, test)
    token_agreement, text_agreement = _segmentation_agreement(
        [normalize(r.text).text for r in test])
    typical = [r.text for r in test if 30 <= len(r.text) <= 100][:5000]
    warm_up = [r.text for r in corpus.split("dev") if 30 <= len(r.text) <= 100][:5000]
    speed, jieba_speed = _throughput(typical, warm_up)
    stages = _stage_times(typical)
    mean_len = sum(map(len, typical)) / len(typical)
    return [
        Figure("sentiment macro-F1, test split", ours.macro_f1, "", baseline,
               "char 1-3 TF-IDF + LinearSVC", ">= 0.96", ours.macro_f1 >= 0.96),
        Figure("sentiment calibration error (ECE)", ours.calibration_error, ""),
        Figure("accuracy when not neutral (test)", ours.committed_accuracy, ""),
        Figure("share called neutral (test)", ours.neutral_share, ""),
        Figure("same label in traditional script", consistency, "", target=">= 0.99",
               met=consistency >= 0.99),
        Figure("segmentation = jieba, tokens (test split)", token_agreement, ""),
        Figure("segmentation = jieba, whole reviews", text_agreement, ""),
        Figure(f"enrichment, one core ({len(typical)} reviews, ~{mean_len:.0f} chars)", speed,
               "reviews/s", jieba_speed, "jieba.lcut alone", ">= 10,000", speed >= 10_000),
        *(Figure(f"  enrichment stage: {stage}", us, "µs/review")
          for stage, us in stages.items()),
    ]
