"""Figures for a sentiment model on labelled rows.

Two views, because the public corpora have no neutral class while the model may abstain:
- ``decided``: every text gets negative/positive by the sign of its score (neutral gold
  rows, if any, are left out); macro-F1, accuracy and per-class precision/recall;
- ``three-way``: the model's own labels; the share it called neutral and the accuracy of the
  rest (how right it is when it commits);
- script consistency: the share of rows whose traditional-script version (OpenCC ``s2t``)
  gets the same three-way label.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import opencc
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from nlp.normalize import normalize
from nlp.training.corpus import LabelledText

POLAR = ("negative", "positive")


@dataclass
class Evaluation:
    rows: int
    macro_f1: float
    accuracy: float
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    neutral_share: float = 0.0       # of all rows, labelled neutral by the model
    committed_accuracy: float = 0.0  # accuracy of rows the model did not call neutral
    calibration_error: float = 0.0   # expected calibration error of p(positive), 10 bins
    script_consistency: float = 0.0  # same label for the traditional-script version

    def as_dict(self) -> dict:
        return {"rows": self.rows, "macro_f1": round(self.macro_f1, 4),
                "accuracy": round(self.accuracy, 4),
                "per_class": {label: {name: round(value, 4) for name, value in figures.items()}
                              for label, figures in self.per_class.items()},
                "neutral_share": round(self.neutral_share, 4),
                "committed_accuracy": round(self.committed_accuracy, 4),
                "calibration_error": round(self.calibration_error, 4),
                "script_consistency": round(self.script_consistency, 4)}

    def lines(self) -> list[str]:
        out = [f"rows: {self.rows}",
               f"macro-F1: {self.macro_f1:.4f}",
               f"accuracy: {self.accuracy:.4f}"]
        for label, figures in self.per_class.items():
            out.append(f"  {label:<8} precision {figures['precision']:.4f}"
                       f"  recall {figures['recall']:.4f}  F1 {figures['f1']:.4f}"
                       f"  support {int(figures['support'])}")
        out.append(f"three-way: neutral {self.neutral_share:.1%} of rows; "
                   f"accuracy when not neutral {self.committed_accuracy:.4f}")
        out.append(f"calibration error (ECE, 10 bins): {self.calibration_error:.4f}")
        out.append(f"same label in traditional script: {self.script_consistency:.4f}")
        return out


def calibration_error(p_positive: np.ndarray, gold_positive: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the row-weighted gap between predicted and observed
    positive rates over equal-width probability bins."""
    index = np.minimum((p_positive * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            gap = abs(p_positive[members].mean() - gold_positive[members].mean())
            error += members.mean() * gap
    return float(error)


def evaluate(model, rows: Sequence[LabelledText]) -> Evaluation:
    """Score ``model`` (a ``SentimentModel``) on ``rows`` (normalised here, as in production)."""
    polar = [row for row in rows if row.label in POLAR]
    if not polar:
        return Evaluation(0, 0.0, 0.0)
    texts = [normalize(row.text).text for row in polar]
    gold = [row.label for row in polar]
    scores = model.scores(texts)
    decided = ["negative" if s < 0 else "positive" for s in scores]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, decided, labels=list(POLAR), zero_division=0)
    per_class = {label: {"precision": float(p), "recall": float(r), "f1": float(f),
                         "support": float(s)}
                 for label, p, r, f, s in zip(POLAR, precision, recall, f1, support)}
    macro_f1 = f1_score(gold, decided, labels=list(POLAR), average="macro", zero_division=0)
    gold_positive = np.array([g == "positive" for g in gold])
    labels = [s.label for s in model.predict(texts)]
    to_traditional = opencc.OpenCC("s2t")
    traditional = [s.label for s in model.predict(
        [normalize(to_traditional.convert(row.text)).text for row in polar])]
    committed = [(g, p) for g, p in zip(gold, labels) if p != "neutral"]
    return Evaluation(
        rows=len(polar),
        macro_f1=float(macro_f1),
        accuracy=float(accuracy_score(gold, decided)),
        per_class=per_class,
        neutral_share=1 - len(committed) / len(polar),
        committed_accuracy=sum(g == p for g, p in committed) / len(committed) if committed else 0.0,
        calibration_error=calibration_error((scores + 1) / 2, gold_positive),
        script_consistency=float(np.mean([a == b for a, b in zip(labels, traditional)])))


HARD_CONSTRUCTIONS = __import__("pathlib").Path(__file__).resolve().parents[2] / "tests" / "nlp" \
    / "data" / "hard_constructions.csv"


def read_constructions(path=None) -> list[dict]:
    """The hand-written hard-construction rows: construction, text, stars (float or None),
    label."""
    import csv
    with open(path or HARD_CONSTRUCTIONS, encoding="utf-8", newline="") as handle:
        return [{**row, "stars": float(row["stars"]) if row["stars"] else None}
                for row in csv.DictReader(handle)]


def construction_accuracy(model, rows: Sequence[dict], rules: bool = True
                          ) -> dict[str, tuple[int, float]]:
    """``{construction: (rows, accuracy)}`` of the model's three-way labels (with the star
    rating where the row has one). ``rules=False``: the model's own reading, no
    ``nlp.constructions`` rules and no stars (what the model alone would say)."""
    texts = [normalize(row["text"]).text for row in rows]
    if rules:
        labels = [label for label, _ in model.judge(texts, [row["stars"] for row in rows])]
    else:
        p = model.probabilities(texts)
        score = p[:, 2] - p[:, 0]
        tau = model.neutral_threshold
        labels = ["neutral" if (tau is not None and n >= tau) or abs(s) < model.threshold
                  else ("positive" if s > 0 else "negative") for s, n in zip(score, p[:, 1])]
    out: dict[str, list[bool]] = {}
    for row, label in zip(rows, labels):
        out.setdefault(row["construction"], []).append(label == row["label"])
    return {name: (len(hits), float(np.mean(hits))) for name, hits in out.items()}


CAR_ASPECTS = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" \
    / "aspects" / "car_forum_aspects.csv"
_POLARITY = {"-1": "negative", "0": "neutral", "1": "positive"}


def read_aspect_rows(path=None, split: str | None = "test") -> list[dict]:
    """Rows of the car-forum aspect labels: text, aspect, polarity (negative / neutral /
    positive), of ``split`` (None: all)."""
    import csv
    with open(path or CAR_ASPECTS, encoding="utf-8", newline="") as handle:
        return [{"text": row["text"], "aspect": row["aspect"],
                 "polarity": _POLARITY[row["polarity"].strip()]}
                for row in csv.DictReader(handle) if split is None or row["split"] == split]


def aspect_clauses(rows: Sequence[dict], taxonomy, segmenter):
    """``(texts, clauses, by_aspect)``: the distinct normalised texts of ``rows``, their
    clauses naming a topic of ``taxonomy`` (``nlp.aspects.topical_clauses``: (text index,
    topics, clause)) and ``{(text, topic): [clause index, ...]}``."""
    from nlp.aspects import topical_clauses
    from nlp.segment import starts_of
    texts = sorted({normalize(row["text"]).text for row in rows})
    cut = segmenter.cut_many(texts)
    matches = taxonomy.matches_many(texts, lambda i: starts_of(cut[i], texts[i]))
    pending = topical_clauses(texts, matches)
    by_aspect: dict[tuple[str, str], list[int]] = {}
    for k, (i, topics, _) in enumerate(pending):
        for topic in topics:
            by_aspect.setdefault((texts[i], topic), []).append(k)
    return texts, pending, by_aspect


def aspect_predictions(model, rows: Sequence[dict], taxonomy, segmenter
                       ) -> tuple[list[str], list[str], list[bool]]:
    """``(clause labels, overall labels, found)`` per row. The clause reading: the label of
    the first clause naming the row's aspect (``nlp.aspects.topical_clauses`` with
    ``taxonomy``, judged as aspect clauses) that is positive or negative, neutral when every
    such clause is neutral; where no clause names the aspect, the whole text's label. The
    overall reading: the whole text's label for every aspect."""
    texts, pending, by_aspect = aspect_clauses(rows, taxonomy, segmenter)
    judged = model.judge(texts + [clause for _, _, clause in pending], clauses=len(pending))
    overall = {text: label for text, (label, _) in zip(texts, judged)}
    clause_judged = judged[len(texts):]
    clause_labels, overall_labels, found = [], [], []
    for row in rows:
        text = normalize(row["text"]).text
        ks = by_aspect.get((text, row["aspect"]))
        overall_labels.append(overall[text])
        found.append(ks is not None)
        if ks is None:
            clause_labels.append(overall[text])
        else:
            labels = [clause_judged[k][0] for k in ks]
            clause_labels.append(next((label for label in labels if label != "neutral"),
                                      "neutral"))
    return clause_labels, overall_labels, found
