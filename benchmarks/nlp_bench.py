"""Sentiment accuracy and enrichment speed, each beside a baseline run on the same data.

- Accuracy on the ``test`` split of the shared labelled reviews; baseline: char 1–3-gram TF-IDF
  + linear SVM trained here on the ``train`` split (the reference pipeline of the data README).
- Script consistency: the same label for a review and its traditional-script version.
- Throughput: full enrichment (normalise, segment, sentiment, topics, aspects, keywords) on one
  core; baseline: plain ``jieba.lcut`` over the same texts.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import jieba
import opencc
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from benchmarks.table import Figure
from models.review import Review
from nlp.corpus import default_data_path, read_corpus
from nlp.enrich import Enricher
from nlp.evaluation import evaluate
from nlp.normalize import normalize
from nlp.sentiment import SentimentModel


def _baseline_f1(train, test) -> float:
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                             sublinear_tf=True), LinearSVC(C=0.5))
    pipeline.fit([r.text for r in train], [r.label for r in train])
    return f1_score([r.label for r in test], pipeline.predict([r.text for r in test]),
                    average="macro")


def _consistency(model: SentimentModel, rows) -> float:
    to_traditional = opencc.OpenCC("s2t")
    simplified = model.predict([normalize(r.text).text for r in rows])
    traditional = model.predict([normalize(to_traditional.convert(r.text)).text for r in rows])
    return sum(a.label == b.label for a, b in zip(simplified, traditional)) / len(rows)


def _throughput(texts: list[str]) -> tuple[float, float]:
    enricher = Enricher()
    now = datetime.now(timezone.utc)
    reviews = [Review.create("bench", str(i), t, platform="bench", published_at=now)
               for i, t in enumerate(texts)]
    enricher.enrich(reviews[:50])  # load the model and dictionaries outside the clock
    start = time.perf_counter()
    for i in range(0, len(reviews), 256):
        enricher.enrich(reviews[i:i + 256])
    ours = len(reviews) / (time.perf_counter() - start)
    jieba.initialize()
    start = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return ours, len(texts) / (time.perf_counter() - start)


def run() -> list[Figure]:
    corpus = read_corpus(default_data_path())
    train, test = corpus.require("train"), corpus.require("test")
    model = SentimentModel.load()
    ours = evaluate(model, test)
    baseline = _baseline_f1(train, test)
    consistency = _consistency(model, test)
    typical = [r.text for r in test if 30 <= len(r.text) <= 100][:5000]
    speed, jieba_speed = _throughput(typical)
    mean_len = sum(map(len, typical)) / len(typical)
    return [
        Figure("sentiment macro-F1, test split", ours.macro_f1, "", baseline,
               "char 1-3 TF-IDF + LinearSVC", ">= 0.96", ours.macro_f1 >= 0.96),
        Figure("sentiment calibration error (ECE)", ours.calibration_error, ""),
        Figure("same label in traditional script", consistency, "", target=">= 0.99",
               met=consistency >= 0.99),
        Figure(f"enrichment, one core ({len(typical)} reviews, ~{mean_len:.0f} chars)", speed,
               "reviews/s", jieba_speed, "jieba.lcut alone", ">= 10,000", speed >= 10_000),
    ]
