"""Training the sentiment model: labelled CSV in, versioned artifact out.

The pipeline (scikit-learn contract, pickled as one object):

    model_text → [character 1–3-grams (min_df 5) → sublinear TF-IDF] + [sentiment cues]
    → linear SVM, wrapped in a sigmoid calibration fitted on ``dev`` (an SVM's margin is
    not a probability; the sigmoid makes ``score`` one).

Character n-grams need no segmentation, so prediction does not depend on the dictionary,
and ``CharNgramTfidf`` computes them for a whole batch with numpy. The cue block
(``nlp.cues``: a lexicon read with negation scope, intensifiers and contrast) gives the model
sentiment evidence that means the same in every product domain. Each training review also
contributes its clauses as extra examples with the review's label at a low weight
(``CLAUSE_WEIGHT``): whole reviews alone teach the model that 质量 and 客服 are negative
words (they are mostly mentioned in complaints), and short texts such as "质量好" were then
misread. Every example's weight is then evened out over (domain, label) cells
(``balance_weights``), so big domains and skewed label priors do not set every shared word.
Cues and balancing were chosen by leaving whole domains out (``nlp.training.crossdomain``), as is
``C``; what else was tried is in docs/model_card.md. The neutral threshold is chosen on
``dev``; ``test`` is only reported.

People's knowledge joins the training rows: label corrections recorded with ``koubei label``
(``nlp.corrections``; weight ``CORRECTION_WEIGHT``, replacing a corpus row of the same text)
and, when asked, crawled reviews' star ratings as weak labels (``nlp.training.weak``). Everything is
deterministic: the same data and code give the same model.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from nlp.aspects import clauses
from nlp.cues import NgramsWithCues
from nlp.exceptions import TrainingDataError
from nlp.normalize import normalize
from nlp.patterns import CJK
from nlp.sentiment import ARTIFACT_FORMAT, DEFAULT_ARTIFACT, SentimentModel
from nlp.training.corpus import Corpus, default_data_path, file_hash, read_corpus
from nlp.training.evaluation import Evaluation, evaluate

# Bump when normalisation, features or the recipe change, so that the version string (a hash
# of the data and these parameters) tells two models apart.
RECIPE = 5
# C is the one measured by leaving whole domains out (nlp.training.crossdomain): dev alone picked 0.7
# by 0.0014 macro-F1, inside its noise, and a model for unseen domains is chosen by LODO.
C_GRID = (0.5,)
NGRAMS = (1, 3)
MIN_DF = 5  # over training examples (reviews and clauses); as good on dev as 2, a quarter the size
RANDOM_STATE = 0
CLAUSE_WEIGHT = 0.3
CUE_SCALE = 0.5  # the sentiment-cue block (nlp.cues) beside the n-grams
CORRECTION_WEIGHT = 3.0  # a person looked at it: worth more than a row of the public corpora
WEAK_WEIGHT = 0.5        # a star rating says less than a written label
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


def fit_model(texts: Sequence[str], labels: np.ndarray, weights: np.ndarray | None,
              grid: Sequence[float], dev: tuple[Sequence[str], np.ndarray] | None = None,
              echo: Callable[[str], None] = lambda line: None) -> tuple[Pipeline, float]:
    """Fit the n-gram features once and a linear SVM for each ``C`` of ``grid``; return the
    pipeline with the best dev macro-F1 (the first ``C`` when there is no dev) and its ``C``."""
    features = NgramsWithCues(NGRAMS, MIN_DF, CUE_SCALE).fit(texts)
    matrix = features.transform(texts)
    dev_matrix = features.transform(dev[0]) if dev else None
    best = None
    for c in grid:
        svm = LinearSVC(C=c, random_state=RANDOM_STATE, max_iter=5000)
        svm.fit(matrix, labels, sample_weight=weights)
        if dev is None:
            best = (0.0, c, svm)
            break
        f1 = float(f1_score(dev[1], svm.predict(dev_matrix), average="macro"))
        echo(f"C={c:g}: dev macro-F1 {f1:.4f}")
        if best is None or f1 > best[0]:
            best = (f1, c, svm)
    _, c, svm = best
    svm.coef_ = svm.coef_.astype(np.float32)  # halves the artifact; scores move < 1e-6
    return Pipeline([("features", features), ("classifier", svm)]), c


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


def examples(rows) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Normalised texts, labels (1 positive, 0 negative) and domains ("" when unknown)."""
    texts = [normalize(row.text).text for row in rows]
    return (texts, np.array([1 if row.label == "positive" else 0 for row in rows]),
            np.array([row.domain or "" for row in rows], dtype=object))


def with_clauses(texts: list[str], labels: np.ndarray, domains: np.ndarray,
                 weight: float = CLAUSE_WEIGHT):
    """``(texts, labels, weights, domains)``: the reviews (weight 1) plus, for reviews of
    several clauses, each clause with two or more Chinese characters labelled like its review
    (weight ``weight``)."""
    x, y, w, d = list(texts), list(labels), [1.0] * len(texts), list(domains)
    for text, label, domain in zip(texts, labels, domains):
        parts = [c for c in clauses(text) if len(CJK.findall(c)) >= 2]
        if len(parts) > 1:
            x.extend(parts)
            y.extend([label] * len(parts))
            w.extend([weight] * len(parts))
            d.extend([domain] * len(parts))
    return x, np.array(y), np.array(w), np.array(d, dtype=object)


def balance_weights(labels: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """A factor per example that evens out its (domain, label) cell: ``sqrt(mean cell size /
    its cell's size)``. Label priors differ by domain (water heaters: 82 negative train
    reviews to 367 positive) and big domains would otherwise set the weights of every shared
    word; the square root keeps a tiny cell from being weighted up dozens of times."""
    cells = {}
    for key in zip(domains, labels):
        cells[key] = cells.get(key, 0) + 1
    mean = len(labels) / len(cells)
    return np.array([np.sqrt(mean / cells[key]) for key in zip(domains, labels)])


@dataclass(frozen=True, slots=True)
class ExtraExample:
    """A training example from outside the corpus: a person's correction or a weak label."""
    text: str
    label: str   # negative | positive (neutral examples cannot teach a two-class model)
    weight: float
    source: str  # "correction" | "stars"


def _merge(x_train: list[str], y_train: np.ndarray, d_train: np.ndarray, held_out: set[str],
           extra: Sequence[ExtraExample], echo: Callable[[str], None]):
    """Training texts, labels and weights with clause examples and the ``extra`` examples.
    An extra example replaces a train row of the same normalised text; one whose text is in
    dev or test is left out, so that the figures stay honest."""
    kept: dict[str, ExtraExample] = {}
    for example in extra:
        text = normalize(example.text).text
        if example.label in ("negative", "positive") and text and text not in held_out:
            kept[text] = example
    if extra:
        by_source = {s: sum(e.source == s for e in kept.values()) for s in ("correction", "stars")}
        echo(f"extra examples: {by_source['correction']} correction(s), "
             f"{by_source['stars']} star-rated review(s) ({len(extra) - len(kept)} not usable)")
    rows = [(t, y, d) for t, y, d in zip(x_train, y_train, d_train) if t not in kept]
    x_fit, y_fit, weights, domains = with_clauses(
        [t for t, _, _ in rows], np.array([y for _, y, _ in rows]),
        np.array([d for _, _, d in rows], dtype=object))
    weights = weights * balance_weights(y_fit, domains)
    if kept:
        x_fit = [*x_fit, *kept]
        y_fit = np.concatenate([y_fit, [int(e.label == "positive") for e in kept.values()]])
        weights = np.concatenate([weights, [e.weight for e in kept.values()]])
    return x_fit, y_fit, weights, kept


def train(data: str | Path | None = None, out: str | Path | None = None,
          echo: Callable[[str], None] = lambda line: None,
          extra: Sequence[ExtraExample] = ()) -> TrainingResult:
    """Train on ``train`` (plus ``extra`` examples), tune on ``dev``, report ``test``, write
    the artifact to ``out`` (default: the shipped artifact path). Raises
    ``TrainingDataError``."""
    started = time.monotonic()
    path = Path(data) if data else default_data_path()
    corpus = read_corpus(path)
    for problem in corpus.problems[:20]:
        echo(f"skipped {problem}")
    if not corpus.has_splits:
        raise TrainingDataError(f"{path}: training needs a split column (train/dev/test)")
    train_rows = [r for r in corpus.require("train") if r.label != "neutral"]
    dev_rows = [r for r in corpus.require("dev") if r.label != "neutral"]
    x_train, y_train, d_train = examples(train_rows)
    x_dev, y_dev, _ = examples(dev_rows)
    if len(set(y_train)) < 2:
        raise TrainingDataError(f"{path}: the train split needs both positive and negative rows")
    echo(f"data: {path} ({len(train_rows)} train, {len(dev_rows)} dev)")
    held_out = set(x_dev) | {normalize(r.text).text for r in corpus.split("test")}
    x_fit, y_fit, weights, used = _merge(x_train, y_train, d_train, held_out, extra, echo)

    pipeline, c = fit_model(x_fit, y_fit, weights, C_GRID, (x_dev, y_dev), echo)
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrated.fit(x_dev, y_dev)
    dev_scores = 2 * calibrated.predict_proba(x_dev)[:, 1] - 1
    threshold = choose_threshold(dev_scores, y_dev)
    model = SentimentModel(calibrated, _metadata(corpus, c, threshold, len(train_rows), used))
    dev = evaluate(model, dev_rows)
    test_rows = corpus.split("test")
    test = evaluate(model, test_rows) if test_rows else None
    model.meta["figures"] = {"dev": dev.as_dict(), **({"test": test.as_dict()} if test else {})}
    target = Path(out) if out else DEFAULT_ARTIFACT
    write_artifact(model, target)
    return TrainingResult(model, target, dev, test, corpus.problems, time.monotonic() - started)


def _metadata(corpus: Corpus, c: float, threshold: float, train_rows: int,
              extra: dict[str, ExtraExample]) -> dict:
    data_hash = file_hash(corpus.path)
    listed = sorted((text, e.label, e.weight) for text, e in extra.items())
    extra_hash = hashlib.blake2b(json.dumps(listed, ensure_ascii=False).encode(),
                                 digest_size=8).hexdigest()
    params = {"recipe": RECIPE, "analyzer": "char", "ngram_range": list(NGRAMS),
              "min_df": MIN_DF, "tfidf": "sublinear", "cue_scale": CUE_SCALE,
              "weights": "sqrt-balanced (domain, label)", "classifier": "LinearSVC", "C": c,
              "calibration": "sigmoid on dev", "clause_weight": CLAUSE_WEIGHT,
              "random_state": RANDOM_STATE, "sklearn": sklearn.__version__}
    now = datetime.now(timezone.utc)
    fingerprint = hashlib.blake2b(json.dumps([data_hash, extra_hash if extra else None, params],
                                             sort_keys=True).encode(), digest_size=4).hexdigest()
    return {"version": f"sentiment-{now:%Y.%m}-{fingerprint}",
            "trained_at": now.isoformat(timespec="seconds"),
            "data_file": corpus.path.name, "data_hash": data_hash, "train_rows": train_rows,
            "extra_examples": {s: sum(e.source == s for e in extra.values())
                               for s in ("correction", "stars")},
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
