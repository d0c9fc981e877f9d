"""Training the sentiment model: labelled CSV in, versioned artifact out.

The pipeline (scikit-learn contract, pickled as one object):

    model_text → hashed character 1–3-grams → sublinear TF-IDF → logistic regression,
    wrapped in a sigmoid calibration fitted on ``dev`` (the regression alone is under-
    confident in the middle of its range).

Hashing keeps the artifact small (no vocabulary to store) and the character n-grams need no
segmentation, so prediction does not depend on jieba's dictionary. Each training review also
contributes its clauses as extra examples with the review's label at a low weight
(``CLAUSE_WEIGHT``): whole reviews alone teach the model that 质量 and 客服 are negative
words (they are mostly mentioned in complaints), and short texts such as "质量好" were then
misread; the clauses teach it how a short positive statement looks. The regularisation ``C``
and the neutral threshold are chosen on the ``dev`` split; ``test`` is only reported.
Everything is deterministic: the same data and code give the same model.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from nlp.aspects import clauses
from nlp.corpus import Corpus, default_data_path, file_hash, read_corpus
from nlp.evaluation import Evaluation, evaluate
from nlp.exceptions import TrainingDataError
from nlp.features import model_text
from nlp.normalize import normalize
from nlp.patterns import CJK
from nlp.sentiment import ARTIFACT_FORMAT, DEFAULT_ARTIFACT, SentimentModel

# Bump when normalisation, features or the recipe change, so that the version string (a hash
# of the data and these parameters) tells two models apart.
RECIPE = 1
C_GRID = (2.0, 5.0, 10.0)
N_FEATURES = 2 ** 19
NGRAMS = (1, 3)
RANDOM_STATE = 0
CLAUSE_WEIGHT = 0.3
# The neutral band: the narrowest |score| band outside of which dev accuracy reaches
# TARGET_ACCURACY, never putting more than MAX_NEUTRAL of dev reviews inside it.
TARGET_ACCURACY = 0.96
MAX_NEUTRAL = 0.12


@dataclass
class TrainingResult:
    model: SentimentModel
    path: Path
    dev: Evaluation
    test: Evaluation | None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_pipeline(c: float) -> Pipeline:
    return Pipeline([
        ("ngrams", HashingVectorizer(analyzer="char", ngram_range=NGRAMS, n_features=N_FEATURES,
                                     preprocessor=model_text, alternate_sign=False, norm=None,
                                     dtype=np.float32)),
        ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ("classifier", LogisticRegression(C=c, max_iter=3000, random_state=RANDOM_STATE)),
    ])


def choose_threshold(scores: np.ndarray, gold: np.ndarray, target: float = TARGET_ACCURACY,
                     max_neutral: float = MAX_NEUTRAL) -> float:
    """Smallest ``t`` (step 0.01) where predictions with ``|score| >= t`` reach ``target``
    accuracy on ``gold`` (1 positive, 0 negative), capped so at most ``max_neutral`` of rows
    fall below it."""
    magnitude, correct = np.abs(scores), (scores >= 0) == (gold == 1)
    best = 0.0
    for t in np.round(np.arange(0.0, 1.0, 0.01), 2):
        kept = magnitude >= t
        if 1 - kept.mean() > max_neutral or not kept.any():
            break
        best = float(t)
        if correct[kept].mean() >= target:
            break
    return best


def examples(rows) -> tuple[list[str], np.ndarray]:
    texts = [normalize(row.text).text for row in rows]
    return texts, np.array([1 if row.label == "positive" else 0 for row in rows])


def with_clauses(texts: list[str], labels: np.ndarray,
                 weight: float = CLAUSE_WEIGHT) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The reviews (weight 1) plus, for reviews of several clauses, each clause with two or
    more Chinese characters labelled like its review (weight ``weight``)."""
    x, y, w = list(texts), list(labels), [1.0] * len(texts)
    for text, label in zip(texts, labels):
        parts = [c for c in clauses(text) if len(CJK.findall(c)) >= 2]
        if len(parts) > 1:
            x.extend(parts)
            y.extend([label] * len(parts))
            w.extend([weight] * len(parts))
    return x, np.array(y), np.array(w)


def train(data: str | Path | None = None, out: str | Path | None = None,
          echo: Callable[[str], None] = lambda line: None) -> TrainingResult:
    """Train on ``train``, tune on ``dev``, report ``test``, write the artifact to ``out``
    (default: the shipped artifact path). Raises ``TrainingDataError``."""
    started = time.monotonic()
    path = Path(data) if data else default_data_path()
    corpus = read_corpus(path)
    for problem in corpus.problems[:20]:
        echo(f"skipped {problem}")
    if not corpus.has_splits:
        raise TrainingDataError(f"{path}: training needs a split column (train/dev/test)")
    train_rows = [r for r in corpus.require("train") if r.label != "neutral"]
    dev_rows = [r for r in corpus.require("dev") if r.label != "neutral"]
    x_train, y_train = examples(train_rows)
    x_dev, y_dev = examples(dev_rows)
    if len(set(y_train)) < 2:
        raise TrainingDataError(f"{path}: the train split needs both positive and negative rows")
    echo(f"data: {path} ({len(train_rows)} train, {len(dev_rows)} dev)")

    x_fit, y_fit, weights = with_clauses(x_train, y_train)
    best = None
    for c in C_GRID:
        pipeline = build_pipeline(c).fit(x_fit, y_fit, classifier__sample_weight=weights)
        dev_accuracy = float((pipeline.predict(x_dev) == y_dev).mean())
        echo(f"C={c:g}: dev accuracy {dev_accuracy:.4f}")
        if best is None or dev_accuracy > best[0]:
            best = (dev_accuracy, c, pipeline)
    _, c, pipeline = best
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrated.fit(x_dev, y_dev)
    dev_scores = 2 * calibrated.predict_proba(x_dev)[:, 1] - 1
    threshold = choose_threshold(dev_scores, y_dev)
    model = SentimentModel(calibrated, _metadata(corpus, c, threshold, len(train_rows)))
    dev = evaluate(model, dev_rows)
    test_rows = corpus.split("test")
    test = evaluate(model, test_rows) if test_rows else None
    model.meta["figures"] = {"dev": dev.as_dict(), **({"test": test.as_dict()} if test else {})}
    target = Path(out) if out else DEFAULT_ARTIFACT
    write_artifact(model, target)
    return TrainingResult(model, target, dev, test, corpus.problems, time.monotonic() - started)


def _metadata(corpus: Corpus, c: float, threshold: float, train_rows: int) -> dict:
    data_hash = file_hash(corpus.path)
    params = {"recipe": RECIPE, "analyzer": "char", "ngram_range": list(NGRAMS), "n_features": N_FEATURES,
              "tfidf": "sublinear", "classifier": "LogisticRegression", "C": c,
              "calibration": "sigmoid on dev", "clause_weight": CLAUSE_WEIGHT,
              "random_state": RANDOM_STATE, "sklearn": sklearn.__version__}
    now = datetime.now(timezone.utc)
    fingerprint = hashlib.blake2b(json.dumps([data_hash, params], sort_keys=True).encode(),
                                  digest_size=4).hexdigest()
    return {"version": f"sentiment-{now:%Y.%m}-{fingerprint}",
            "trained_at": now.isoformat(timespec="seconds"),
            "data_file": corpus.path.name, "data_hash": data_hash, "train_rows": train_rows,
            "params": params, "threshold": threshold,
            "question_threshold": round((1 + threshold) / 2, 2),
            "threshold_rule": f"dev accuracy >= {TARGET_ACCURACY} outside the band, "
                              f"at most {MAX_NEUTRAL:.0%} of dev inside"}


def write_artifact(model: SentimentModel, path: Path) -> None:
    """Write atomically, so a crash never leaves a half-written shipped model."""
    import joblib
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    joblib.dump({"format": ARTIFACT_FORMAT, "pipeline": model.pipeline, "meta": model.meta},
                partial, compress=3)
    partial.replace(path)
