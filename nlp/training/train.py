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
``C``; what else was tried is in docs/model_card.md. ``test`` is only reported.

Recipe 6 trains on every labelled sentiment file of the shared data (reviews, Weibo posts,
Weibo emotions, Amazon) and adds two heads on the same features, so scoring still costs one
feature transform: a **neutral head** (neutral ``label3`` rows against every opinion row,
``fit_neutral_head``), sigmoid-calibrated on dev, whose threshold and the band on the score
are chosen together for the best three-way macro-F1 on the ``label3`` dev rows
(``choose_three_way``); and an **aspect head** (``fit_aspect_head``: the clauses naming a
car-forum aspect, neutral against opinion, train split; calibrated and its thresholds chosen
on the dev split) that judges aspect clauses. Without three-way rows (a two-class CSV), the
model is the two-class one of recipe 5 with the band chosen on dev.

Recipe 7 makes the polarity head the ``PLAIN_SHARE`` mix of that SVM and a plain one fitted on
the same features to the texts alone, unweighted (``fit_model(..., plain=)``): still one
linear model. ``train(stream=...)`` adapts to the user's own unlabelled texts by self-training
(``self_training_examples``).

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
from nlp.training.corpus import Corpus, corpus_hash, default_data_paths, read_corpora
from nlp.training.evaluation import CAR_ASPECTS, Evaluation, evaluate

# Bump when normalisation, features or the recipe change, so that the version string (a hash
# of the data and these parameters) tells two models apart.
RECIPE = 7
# C is the one measured by leaving whole domains out (nlp.training.crossdomain): dev alone picked 0.7
# by 0.0014 macro-F1, inside its noise, and a model for unseen domains is chosen by LODO.
C_GRID = (0.5,)
NGRAMS = (1, 3)
MIN_DF = 5  # over training examples (reviews and clauses); as good on dev as 2, a quarter the size
RANDOM_STATE = 0
CLAUSE_WEIGHT = 0.3
CUE_SCALE = 0.5  # the sentiment-cue block (nlp.cues) beside the n-grams
# Recipe 7: the polarity head is the average of two LinearSVCs on the same features, the
# balanced one (clause examples, sqrt-balanced weights) and a plain one (the texts alone,
# unweighted); PLAIN_SHARE is the plain one's share (0: recipe 6, the balanced SVM alone).
PLAIN_SHARE = 0.3
CORRECTION_WEIGHT = 3.0  # a person looked at it: worth more than a row of the public corpora
WEAK_WEIGHT = 0.5        # a star rating says less than a written label
# Adapting to the user's own stream (``train(stream=...)``, ``koubei train --adapt``):
# self-training. The model trained on the corpus reads the stream's texts; those it reads
# with an SVM margin of at least SELF_MARGIN join the training examples with the label it
# gave them, at SELF_WEIGHT, in both members of the ensemble, and the model is trained again.
# A linear SVM learns nothing from examples beyond its margin of 1 (their hinge loss is 0),
# so taking only the surest texts changes nothing; the texts between 0.5 and 1 are the ones
# that move the weights, including those of n-grams only the stream uses.
SELF_MARGIN = 0.5
SELF_WEIGHT = 1.0
# The neutral band: the narrowest |score| band outside of which dev accuracy reaches
# TARGET_ACCURACY, never putting more than MAX_NEUTRAL of dev reviews inside it.
TARGET_ACCURACY = 0.96
MAX_NEUTRAL = 0.12
# The neutral head (recipe 6): a second linear SVM on the same features, neutral (``label3``
# neutral rows: statements, news, questions) against every opinion row of every domain,
# weights sqrt-balanced over (domain, neutral) cells, sigmoid-calibrated on dev. Its decision
# threshold and the band are chosen together on the three-way dev rows (``choose_three_way``).
NEUTRAL_C = 0.5
MAX_REVIEW_NEUTRAL = 0.12  # at most this share of the review corpus's dev rows called neutral


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
              echo: Callable[[str], None] = lambda line: None,
              plain: np.ndarray | None = None) -> tuple[Pipeline, float]:
    """Fit the n-gram features once and a linear SVM for each ``C`` of ``grid``; return the
    pipeline with the best dev macro-F1 (the first ``C`` when there is no dev) and its ``C``.

    ``plain``: per-example weights of the **plain** member of the ensemble (0 leaves an
    example out: the clause examples), or None for no ensemble. The plain member is a
    LinearSVC on the same features fitted without the (domain, label) balancing and clause
    examples; the shipped classifier's weights are ``(1 - PLAIN_SHARE)`` times the balanced
    SVM's plus ``PLAIN_SHARE`` times the plain one's. Averaging two linear models on the same
    features is one linear model, so scoring costs what it did."""
    features = NgramsWithCues(NGRAMS, MIN_DF, CUE_SCALE).fit(texts)
    matrix = features.transform(texts)
    dev_matrix = features.transform(dev[0]) if dev else None
    if plain is not None:
        kept = np.flatnonzero(plain > 0)
        plain_matrix, plain_labels, plain_weights = matrix[kept], labels[kept], plain[kept]
    best = None
    for c in grid:
        svm = LinearSVC(C=c, random_state=RANDOM_STATE, max_iter=5000)
        svm.fit(matrix, labels, sample_weight=weights)
        if plain is not None:
            other = LinearSVC(C=c, random_state=RANDOM_STATE, max_iter=5000)
            other.fit(plain_matrix, plain_labels, sample_weight=plain_weights)
            svm.coef_ = (1 - PLAIN_SHARE) * svm.coef_ + PLAIN_SHARE * other.coef_
            svm.intercept_ = (1 - PLAIN_SHARE) * svm.intercept_ + PLAIN_SHARE * other.intercept_
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


def fit_neutral_head(features, texts: Sequence[str], neutral: np.ndarray,
                     domains: np.ndarray) -> tuple[np.ndarray, float]:
    """``(coef, intercept)`` of a linear SVM telling neutral texts (``neutral`` true) from
    opinions, on ``features`` (the fitted n-gram + cue block of the polarity head)."""
    weights = balance_weights(neutral.astype(int), domains)
    svm = LinearSVC(C=NEUTRAL_C, random_state=RANDOM_STATE, max_iter=5000)
    svm.fit(features.transform(list(texts)), neutral.astype(int), sample_weight=weights)
    return svm.coef_.ravel().astype(np.float32), float(svm.intercept_[0])


def fit_sigmoid(margins: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` with ``p = 1 / (1 + exp(a * margin + b))`` fitted to
    ``gold`` (0/1), the form ``CalibratedClassifierCV`` uses."""
    from sklearn.linear_model import LogisticRegression
    fit = LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), gold.astype(int))
    return -float(fit.coef_[0, 0]), -float(fit.intercept_[0])


def three_way_labels(p: np.ndarray, band: float, tau: float) -> np.ndarray:
    """Labels (0 negative, 1 neutral, 2 positive) from ``probabilities`` rows (negative,
    neutral, positive): neutral when p(neutral) >= ``tau`` or |p(pos) - p(neg)| < ``band``."""
    score = p[:, 2] - p[:, 0]
    labels = np.where(score > 0, 2, 0)
    return np.where((p[:, 1] >= tau) | (np.abs(score) < band), 1, labels)


def choose_three_way(p3: np.ndarray, gold3: np.ndarray, p_reviews: np.ndarray,
                     max_review_neutral: float = MAX_REVIEW_NEUTRAL) -> tuple[float, float, float]:
    """``(band, tau, macro-F1)``: the band on |score| and the p(neutral) threshold with the best
    three-way macro-F1 on ``p3`` (rows with three-way gold ``gold3``: 0/1/2), among those that
    call at most ``max_review_neutral`` of ``p_reviews`` (dev reviews, all opinions) neutral."""
    best = (0.1, 1.0, -1.0)
    for band in np.round(np.arange(0.1, 0.62, 0.02), 2):
        for tau in np.round(np.arange(0.2, 0.96, 0.02), 2):
            if len(p_reviews) and \
                    (three_way_labels(p_reviews, band, tau) == 1).mean() > max_review_neutral:
                continue
            f1 = float(f1_score(gold3, three_way_labels(p3, band, tau), average="macro"))
            if f1 > best[2] + 1e-9:
                best = (float(band), float(tau), f1)
    return best


def aspect_clause_examples(rows: Sequence[dict]) -> tuple[list[str], np.ndarray]:
    """``(clauses, neutral)``: every clause naming a row's aspect (autos taxonomy), with
    whether the row's polarity is neutral."""
    from nlp.segment import default_segmenter
    from nlp.topics import industry_taxonomy
    from nlp.training.evaluation import aspect_clauses
    texts, pending, by_aspect = aspect_clauses(rows, industry_taxonomy("auto"),
                                               default_segmenter())
    clauses, neutral = [], []
    for row in rows:
        for k in by_aspect.get((normalize(row["text"]).text, row["aspect"]), ()):
            clauses.append(pending[k][2])
            neutral.append(row["polarity"] == "neutral")
    return clauses, np.array(neutral)


def fit_aspect_head(features, train_rows: Sequence[dict], dev_rows: Sequence[dict]) -> dict:
    """The aspect-clause neutral head: a linear SVM on ``features`` telling the clauses of
    neutral aspect labels from those of positive or negative ones (car-forum train split,
    classes balanced), sigmoid-calibrated on the dev split."""
    clauses, neutral = aspect_clause_examples(train_rows)
    svm = LinearSVC(C=NEUTRAL_C, random_state=RANDOM_STATE, max_iter=5000,
                    class_weight="balanced")
    svm.fit(features.transform(clauses), neutral.astype(int))
    coef, intercept = svm.coef_.ravel().astype(np.float32), float(svm.intercept_[0])
    dev_clauses, dev_neutral = aspect_clause_examples(dev_rows)
    margins = (features.transform(dev_clauses) @ coef + intercept).astype(np.float64)
    return {"coef": coef, "intercept": intercept, "sigmoid": fit_sigmoid(margins, dev_neutral)}


def choose_aspect_thresholds(model: SentimentModel, rows: Sequence[dict]
                             ) -> tuple[float, float, float]:
    """``(band, tau, macro-F1)`` for aspect clauses: the grid point with the best three-way
    macro-F1 of the clause reading (``nlp.training.evaluation.aspect_predictions``, here
    without the construction rules) on ``rows`` (the car-forum aspect labels' dev split),
    with the autos taxonomy."""
    from nlp.segment import default_segmenter
    from nlp.topics import industry_taxonomy
    from nlp.training.evaluation import aspect_clauses
    texts, pending, by_aspect = aspect_clauses(rows, industry_taxonomy("auto"),
                                               default_segmenter())
    p_clause = model.probabilities([clause for _, _, clause in pending], clauses=len(pending))
    p_text = model.probabilities(texts)
    index = {text: i for i, text in enumerate(texts)}
    overall = three_way_labels(p_text, model.threshold, model.neutral_threshold or 1.01)
    gold = np.array([{"negative": 0, "neutral": 1, "positive": 2}[r["polarity"]] for r in rows])
    keys = [by_aspect.get((normalize(r["text"]).text, r["aspect"])) for r in rows]
    fallback = np.array([overall[index[normalize(r["text"]).text]] for r in rows])
    best = (model.threshold, model.neutral_threshold or 1.01, -1.0)
    for band in np.round(np.arange(0.1, 0.91, 0.05), 2):
        for tau in np.round(np.arange(0.1, 0.91, 0.05), 2):
            labels = three_way_labels(p_clause, band, tau)
            predicted = fallback.copy()
            for n, ks in enumerate(keys):
                if ks is not None:
                    polar = [labels[k] for k in ks if labels[k] != 1]
                    predicted[n] = polar[0] if polar else 1
            f1 = float(f1_score(gold, predicted, average="macro"))
            if f1 > best[2] + 1e-9:
                best = (float(band), float(tau), f1)
    return best


def with_aspect_head(model: SentimentModel, echo: Callable[[str], None] = lambda line: None
                     ) -> SentimentModel:
    """``model`` with an aspect-clause neutral head (``fit_aspect_head``: car-forum train
    split, calibrated on dev) and the aspect band and threshold chosen on the dev split."""
    from nlp.training.evaluation import read_aspect_rows
    features = model.pipeline.calibrated_classifiers_[0].estimator
    features = getattr(features, "estimator", features).named_steps["features"]
    head = fit_aspect_head(features, read_aspect_rows(split="train"),
                           read_aspect_rows(split="dev"))
    model = SentimentModel(model.pipeline, dict(model.meta), model.neutral_head, head)
    band, tau, f1 = choose_aspect_thresholds(model, read_aspect_rows(split="dev"))
    echo(f"aspect clauses: band {band:g}, p(neutral) >= {tau:g}; car-forum dev three-way "
         f"macro-F1 {f1:.4f}")
    model.meta.update({"aspect_band": band, "aspect_neutral_threshold": tau,
                       "aspect_rule": "aspect head fitted on the car-forum aspect labels' "
                                      "train split, calibrated and thresholds chosen on dev"})
    return model


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
    source: str  # "correction" | "stars" | "self" (self-training on the user's stream)


EXTRA_SOURCES = ("correction", "stars", "self")


def self_training_examples(pipeline: Pipeline, texts: Sequence[str],
                           margin: float = SELF_MARGIN,
                           weight: float = SELF_WEIGHT) -> list[ExtraExample]:
    """The stream ``texts`` (normalised) the polarity head ``pipeline`` reads with an SVM
    margin of at least ``margin``, each once, labelled as it reads them (source ``self``).
    Texts without Chinese are left out (nothing the model reads)."""
    texts = list(dict.fromkeys(t for t in texts if CJK.search(t)))
    if not texts:
        return []
    margins = pipeline.decision_function(texts)
    return [ExtraExample(text, "positive" if m > 0 else "negative", weight, "self")
            for text, m in zip(texts, margins) if abs(m) >= margin]


def _merge(x_train: list[str], y_train: np.ndarray, d_train: np.ndarray, held_out: set[str],
           extra: Sequence[ExtraExample], echo: Callable[[str], None]):
    """Training texts, labels and weights with clause examples and the ``extra`` examples.
    An extra example replaces a train row of the same normalised text; one whose text is in
    dev or test is left out, so that the figures stay honest."""
    kept: dict[str, ExtraExample] = {}
    unusable = duplicates = 0
    for example in extra:
        text = normalize(example.text).text
        if example.label in ("negative", "positive") and text and text not in held_out:
            duplicates += text in kept  # the same text again: the later example wins
            kept[text] = example
        else:
            unusable += 1
    if extra:
        by_source = {s: sum(e.source == s for e in kept.values()) for s in EXTRA_SOURCES}
        line = f"extra examples: {by_source['correction']} correction(s), " \
               f"{by_source['stars']} star-rated review(s)"
        if by_source["self"]:
            line += f", {by_source['self']} self-labelled stream text(s)"
        echo(f"{line} ({unusable} not usable, {duplicates} duplicate text(s))")
    rows = [(t, y, d) for t, y, d in zip(x_train, y_train, d_train) if t not in kept]
    x_fit, y_fit, weights, plain = recipe_examples(
        [t for t, _, _ in rows], np.array([y for _, y, _ in rows]),
        np.array([d for _, _, d in rows], dtype=object), list(kept.items()))
    return x_fit, y_fit, weights, plain, kept


def recipe_examples(texts: list[str], labels: np.ndarray, domains: np.ndarray,
                    extra: Sequence[tuple[str, ExtraExample]] = ()):
    """``(texts, labels, weights, plain)`` the recipe fits on: the reviews and their clause
    examples (``with_clauses``) with the balanced weights (``balance_weights``) and the
    plain member's weights (``plain_weights``), then each ``extra`` example as ``(text it
    is read as, example)`` with its own weight in both members."""
    x_fit, y_fit, weights, fit_domains = with_clauses(texts, labels, domains)
    weights = weights * balance_weights(y_fit, fit_domains)
    plain = plain_weights(len(texts), len(x_fit))
    if extra:
        x_fit = [*x_fit, *(text for text, _ in extra)]
        y_fit = np.concatenate([y_fit, [int(e.label == "positive") for _, e in extra]])
        extra_weights = [e.weight for _, e in extra]
        weights = np.concatenate([weights, extra_weights])
        plain = np.concatenate([plain, extra_weights])
    return x_fit, y_fit, weights, plain


def plain_weights(reviews: int, examples: int) -> np.ndarray:
    """The plain ensemble member's weights over ``with_clauses``' examples: 1 for each of the
    first ``reviews`` (the texts themselves), 0 for the clause examples after them."""
    return np.concatenate([np.ones(reviews), np.zeros(examples - reviews)])


def train(data=None, out: str | Path | None = None,
          echo: Callable[[str], None] = lambda line: None,
          extra: Sequence[ExtraExample] = (), stream: Sequence[str] = ()) -> TrainingResult:
    """Train on ``train`` (plus ``extra`` examples), tune on ``dev``, report ``test``, write
    the artifact to ``out`` (default: the shipped artifact path). ``data``: one labelled CSV
    or several (default: every labelled sentiment file of the shared data). When the data
    has neutral rows (``label3``), a neutral head is trained beside the polarity head.
    ``stream``: unlabelled texts of the user's own stream to adapt to (self-training,
    ``self_training_examples``): the model is trained, reads them, and is trained again with
    the ones it is surest of. Raises ``TrainingDataError``."""
    started = time.monotonic()
    if data is None:
        paths = default_data_paths()
    elif isinstance(data, (str, Path)):
        paths = [Path(data)]
    else:
        paths = [Path(p) for p in data]
    corpus = read_corpora(paths)
    path = corpus.path
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
    echo(f"data: {', '.join(map(str, corpus.paths))} ({len(train_rows)} train, "
         f"{len(dev_rows)} dev)")
    held_out = set(x_dev) | {normalize(r.text).text for r in corpus.split("test")}
    x_fit, y_fit, weights, plain, used = _merge(x_train, y_train, d_train, held_out, extra,
                                                echo)

    pipeline, c = fit_model(x_fit, y_fit, weights, C_GRID, (x_dev, y_dev), echo,
                            plain if PLAIN_SHARE else None)
    stream_texts = [t for t in (normalize(text).text for text in stream) if t not in held_out]
    if stream_texts:
        chosen = self_training_examples(pipeline, stream_texts)
        echo(f"adapting to the stream: {len(chosen)} of {len(stream_texts)} text(s) "
             "self-labelled")
        x_fit, y_fit, weights, plain, used = _merge(x_train, y_train, d_train, held_out,
                                                    [*chosen, *extra], echo)  # a person's label wins
        pipeline, c = fit_model(x_fit, y_fit, weights, [c], (x_dev, y_dev), echo,
                                plain if PLAIN_SHARE else None)
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    calibrated.fit(x_dev, y_dev)
    dev_scores = 2 * calibrated.predict_proba(x_dev)[:, 1] - 1
    threshold = choose_threshold(dev_scores, y_dev)
    meta = _metadata(corpus, c, threshold, len(train_rows), used)
    neutral_head = None
    neutral_train = [r for r in corpus.split("train") if r.label == "neutral"]
    neutral_dev = [r for r in corpus.split("dev") if r.label == "neutral"]
    if neutral_train and neutral_dev:
        neutral_head, three_way = _neutral_head(pipeline, calibrated, train_rows, neutral_train,
                                                dev_rows, neutral_dev, corpus, echo)
        meta.update(three_way)
    model = SentimentModel(calibrated, meta, neutral_head)
    if neutral_head is not None and CAR_ASPECTS.exists():
        model = with_aspect_head(model, echo)
    dev = evaluate(model, dev_rows)
    test_rows = corpus.split("test")
    test = evaluate(model, test_rows) if test_rows else None
    model.meta["figures"] = {"dev": dev.as_dict(), **({"test": test.as_dict()} if test else {})}
    target = Path(out) if out else DEFAULT_ARTIFACT
    write_artifact(model, target)
    return TrainingResult(model, target, dev, test, corpus.problems, time.monotonic() - started)


def _neutral_head(pipeline, calibrated, train_rows, neutral_train, dev_rows, neutral_dev,
                  corpus: Corpus, echo: Callable[[str], None]) -> tuple[dict, dict]:
    """The neutral head (``fit_neutral_head``), its calibration on dev and the three-way
    decision rule (``choose_three_way`` on the dev rows with a three-way label)."""
    features = pipeline.named_steps["features"]
    rows = [*train_rows, *neutral_train]
    texts = [normalize(r.text).text for r in rows]
    neutral = np.array([r.label == "neutral" for r in rows])
    domains = np.array([r.domain or "" for r in rows], dtype=object)
    coef, intercept = fit_neutral_head(features, texts, neutral, domains)
    dev_all = [*dev_rows, *neutral_dev]
    dev_texts = [normalize(r.text).text for r in dev_all]
    margins = (features.transform(dev_texts) @ coef + intercept).astype(np.float64)
    a, b = fit_sigmoid(margins, np.array([r.label == "neutral" for r in dev_all]))
    head = {"coef": coef, "intercept": intercept, "sigmoid": (a, b)}
    probe = SentimentModel(calibrated, {"version": "probe", "threshold": 0.0}, head)
    p_dev = probe.probabilities(dev_texts)
    three = [i for i, r in enumerate(dev_all) if r.label3]
    gold3 = np.array([{"negative": 0, "neutral": 1, "positive": 2}[dev_all[i].label3]
                      for i in three])
    # Consumer reviews (the review corpus and Amazon: every opinion row without a three-way
    # label, Weibo posts aside) must not be called neutral much more than before.
    reviews = [i for i, r in enumerate(dev_all)
               if r.label != "neutral" and not r.label3 and r.domain != "weibo"]
    band, tau, f1 = choose_three_way(p_dev[three], gold3, p_dev[reviews])
    echo(f"neutral head: band {band:g}, p(neutral) >= {tau:g}; three-way dev macro-F1 {f1:.4f}"
         f" ({len(three)} rows)")
    return head, {"three_way": {"band": band, "neutral_threshold": tau, "dev_macro_f1": round(f1, 4),
                                "neutral_c": NEUTRAL_C, "calibration": "sigmoid on dev"},
                  "threshold": band, "question_threshold": round((1 + band) / 2, 2),
                  "neutral_threshold": tau,
                  "threshold_rule": "band and p(neutral) threshold with the best three-way "
                                    "macro-F1 on the label3 dev rows, at most "
                                    f"{MAX_REVIEW_NEUTRAL:.0%} of dev reviews called neutral"}


def _metadata(corpus: Corpus, c: float, threshold: float, train_rows: int,
              extra: dict[str, ExtraExample]) -> dict:
    data_hash = corpus_hash(corpus)
    listed = sorted((text, e.label, e.weight) for text, e in extra.items())
    extra_hash = hashlib.blake2b(json.dumps(listed, ensure_ascii=False).encode(),
                                 digest_size=8).hexdigest()
    params = {"recipe": RECIPE, "analyzer": "char", "ngram_range": list(NGRAMS),
              "min_df": MIN_DF, "tfidf": "sublinear", "cue_scale": CUE_SCALE,
              "weights": "sqrt-balanced (domain, label)", "classifier": "LinearSVC", "C": c,
              "plain_share": PLAIN_SHARE,
              "calibration": "sigmoid on dev", "clause_weight": CLAUSE_WEIGHT,
              "random_state": RANDOM_STATE, "sklearn": sklearn.__version__}
    now = datetime.now(timezone.utc)
    fingerprint = hashlib.blake2b(json.dumps([data_hash, extra_hash if extra else None, params],
                                             sort_keys=True).encode(), digest_size=4).hexdigest()
    return {"version": f"sentiment-{now:%Y.%m}-{fingerprint}",
            "trained_at": now.isoformat(timespec="seconds"),
            "data_file": corpus.path.name, "data_hash": data_hash, "train_rows": train_rows,
            "data_files": [p.name for p in corpus.paths],
            "extra_examples": {s: sum(e.source == s for e in extra.values())
                               for s in EXTRA_SOURCES},
            "params": params, "threshold": threshold,
            "question_threshold": round((1 + threshold) / 2, 2),
            "threshold_rule": f"dev accuracy >= {TARGET_ACCURACY} outside the band, "
                              f"at most {MAX_NEUTRAL:.0%} of dev inside"}


def write_artifact(model: SentimentModel, path: Path) -> None:
    """Write atomically, so a crash never leaves a half-written shipped model."""
    import joblib
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    artifact = {"format": ARTIFACT_FORMAT, "pipeline": model.pipeline, "meta": model.meta}
    if model.neutral_head is not None:
        artifact["neutral"] = model.neutral_head
    if model.aspect_head is not None:
        artifact["aspect_neutral"] = model.aspect_head
    joblib.dump(artifact, partial, compress=3)
    partial.replace(path)
