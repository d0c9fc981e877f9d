"""Sentiment accuracy, segmentation and enrichment speed, each beside a baseline run on the
same data.

- Accuracy on the ``test`` split of the shared labelled reviews; baseline: char 1–3-gram TF-IDF
  + linear SVM trained here on the ``train`` split (the reference pipeline of the data README).
- Unseen domains (``run_domains``, the ``nlp-domains`` benchmark): leave one domain out
  (``nlp.crossdomain``): our recipe and the baseline are trained on the ``train`` rows of the
  other domains and scored on the held-out one.
- Script consistency: the same label for a review and its traditional-script version.
- Segmentation: tokens of our segmenter (jieba-rs) that match ``jieba.Tokenizer.cut`` with
  the same user dictionary, over the test split.
- Throughput: full enrichment (normalise, segment, sentiment, topics, aspects, keywords) on one
  core, in CPU time of this process (the machine is shared; wall time would count the others'
  work); baseline: plain ``jieba.lcut`` over the same texts, measured the same way.
"""
from __future__ import annotations

import difflib
import logging
import time
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
from nlp.corpus import default_data_path, read_corpus
from nlp.crossdomain import leave_one_domain_out
from nlp.enrich import Enricher
from nlp.evaluation import evaluate
from nlp.normalize import normalize
from nlp.segment import SLANG_DICT, Segmenter
from nlp.sentiment import SentimentModel


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


def _throughput(texts: list[str]) -> tuple[float, float]:
    enricher = Enricher()
    now = datetime.now(timezone.utc)
    reviews = [Review.create("bench", str(i), t, platform="bench", published_at=now)
               for i, t in enumerate(texts)]
    enricher.enrich(reviews[:50])  # load the model and dictionaries outside the clock
    start = time.process_time()
    for i in range(0, len(reviews), 256):
        enricher.enrich(reviews[i:i + 256])
    ours = len(reviews) / (time.process_time() - start)
    jieba.initialize()
    start = time.process_time()
    for text in texts:
        jieba.lcut(text)
    return ours, len(texts) / (time.process_time() - start)


def run_domains() -> list[Figure]:
    """Leave-one-domain-out figures (``python -m benchmarks nlp-domains``; slow: two fits per
    domain)."""
    corpus = read_corpus(default_data_path())
    c = float(SentimentModel.load().meta["params"]["C"])
    ours = leave_one_domain_out(corpus.path, c)
    figures = []
    for domain, (rows, f1, _) in ours.items():
        train = [r for r in corpus.rows if r.split == "train" and r.domain != domain]
        held = [r for r in corpus.rows if r.domain == domain]
        baseline = _f1(_baseline(train), held)
        figures.append(Figure(f"unseen domain {domain} ({rows} reviews), macro-F1", f1, "",
                              baseline, "char 1-3 TF-IDF + LinearSVC", ">= 0.90", f1 >= 0.90))
    mean = float(np.mean([f.value for f in figures]))
    figures.append(Figure("unseen domains, mean macro-F1", mean, "",
                          float(np.mean([f.baseline for f in figures])),
                          "char 1-3 TF-IDF + LinearSVC", ">= 0.90", mean >= 0.90))
    return figures


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
    speed, jieba_speed = _throughput(typical)
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
    ]
