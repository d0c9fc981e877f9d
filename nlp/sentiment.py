"""The sentiment model: a trained scikit-learn pipeline plus the rules that make it say
"neutral" when it should.

``score`` is ``2 * p(positive) - 1`` in [-1, 1]; below 0 leans negative. The label is
- ``neutral`` when the text has no usable content (empty, punctuation only, no Chinese and
  no emoji: nothing the model was trained to read), with score 0;
- ``neutral`` when the model is unsure: ``|score|`` below the threshold chosen on the dev
  split at training time;
- questions are a neutral cue, because asking is not judging: questions are set aside and
  the rest of the text is scored ("手机不错。请问续航怎么样?" is judged on "手机不错。");
  a text that only asks for information ("请问续航怎么样?") is neutral with score 0; one
  made only of other questions ("这也叫手机?") must clear a wider band to count;
- otherwise ``negative``/``positive`` by the sign of the score.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from models.review import Sentiment
from nlp import patterns
from nlp.exceptions import ModelLoadError, ModelNotFound

DEFAULT_ARTIFACT = Path(__file__).with_name("artifacts") / "sentiment.joblib"
ARTIFACT_FORMAT = 1
# Asking, not judging: a final question mark, a final 吗/呢, or an explicit request for
# information. Rhetorical questions ("这也叫手机?") are usually scored confidently anyway.
# A sentence is a question when it ends in ? 吗 呢, or opens by asking (请问 求问 ...). It is
# *asking* (seeking information, no opinion) when it also says what it wants to know.
_SENTENCE = re.compile(r"[^。!?！？\n]+[。!?！？\n]*")
_QUESTION_END = re.compile(r"(?:[?？]|[吗呢嘛][\s.。~…]*)\s*$")
_ASKING_OPENER = re.compile(r"^\s*(?:请问|求问|求助|求推荐|有没有人|有人知道|谁知道|想问)")
_ASKING = re.compile(r"请问|求问|求助|求推荐|有没有人|有人知道|谁知道|想问|怎么样|如何|多少钱|值得买|"
                     r"值不值|能不能|可不可以|好不好|有没有|是不是|哪个|哪款|什么时候")

# A sentence can only be a question (and ``statements`` only drop something) where one of
# these occurs: a question mark, 吗 呢 嘛, or an asking opener.
_MAYBE_QUESTION = re.compile(r"[?？吗呢嘛]|请问|求问|求助|求推荐|有没有人|有人知道|谁知道|想问")
_SENTENCE_ENDS = frozenset("。!?！？\n")  # a text opening with these loses them in statements()

_shipped: "SentimentModel | None" = None
_shipped_lock = threading.Lock()


def is_question(sentence: str) -> bool:
    return _QUESTION_END.search(sentence) is not None or _ASKING_OPENER.search(sentence) is not None


def is_asking(sentence: str) -> bool:
    return _ASKING_OPENER.search(sentence) is not None or (
        _QUESTION_END.search(sentence) is not None and _ASKING.search(sentence) is not None)


def statements(text: str) -> tuple[str, bool, bool]:
    """``(text without its questions, had questions, every question was asking)``."""
    kept, questions, asking = [], 0, 0
    for sentence in _SENTENCE.findall(text):
        if is_question(sentence):
            questions += 1
            asking += is_asking(sentence)
        else:
            kept.append(sentence)
    return "".join(kept), questions > 0, questions > 0 and asking == questions


def has_content(text: str) -> bool:
    """True when ``text`` has something the model can read: Chinese characters or emoji."""
    return patterns.has_cjk(text) or patterns.EMOJI.search(text) is not None


class LinearParts:
    """The shipped recipe's arithmetic without scikit-learn's per-call checks, which cost
    more than the model itself on a batch of reviews: ``p(positive)`` is the mean over the
    sigmoid calibrators of ``expit(-(a * margin + b))``, ``margin = features @ coef +
    intercept``, exactly what ``CalibratedClassifierCV.predict_proba`` computes (a test
    holds them equal)."""

    def __init__(self, features: Any, coef: np.ndarray, intercept: float,
                 sigmoids: list[tuple[float, float]]):
        self.features, self.coef, self.intercept = features, coef, intercept
        self.sigmoids = sigmoids

    def p_positive(self, texts: list[str]) -> np.ndarray:
        margin = self.features.transform(texts) @ self.coef + self.intercept
        margin = margin.astype(np.float64)
        return np.mean([1.0 / (1.0 + np.exp(a * margin + b)) for a, b in self.sigmoids], axis=0)


def linear_parts(pipeline: Any) -> LinearParts | None:
    """``LinearParts`` of a sigmoid-calibrated two-step [features, linear classifier] pipeline
    with classes [0, 1]; None for any other model (which is then run through scikit-learn)."""
    try:
        if pipeline.method != "sigmoid" or list(pipeline.classes_) != [0, 1]:
            return None
        calibrated = pipeline.calibrated_classifiers_
        inner = calibrated[0].estimator
        inner = getattr(inner, "estimator", inner)  # unwrap FrozenEstimator
        if any(getattr(c.estimator, "estimator", c.estimator) is not inner for c in calibrated):
            return None
        (_, features), (_, classifier) = inner.steps
        if list(classifier.classes_) != [0, 1] or classifier.coef_.shape[0] != 1:
            return None
        sigmoids = [(float(k.a_), float(k.b_)) for c in calibrated for k in c.calibrators]
        return LinearParts(features, classifier.coef_.ravel(), float(classifier.intercept_[0]),
                           sigmoids)
    except (AttributeError, ValueError, TypeError):
        return None


class SentimentModel:
    """A fitted pipeline (``predict_proba`` over normalised texts, classes 0=negative,
    1=positive) and its metadata: ``version``, ``threshold``, ``question_threshold``, the
    training data hash and the test figures."""

    def __init__(self, pipeline: Any, meta: dict[str, Any]):
        self.pipeline = pipeline
        self.meta = meta
        self._linear = linear_parts(pipeline)

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    @property
    def question_threshold(self) -> float:
        return float(self.meta.get("question_threshold", (1 + self.threshold) / 2))

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SentimentModel":
        """Load an artifact (default: the shipped one, loaded once per process). Raises
        ``ModelNotFound`` or ``ModelLoadError``, naming the file."""
        if path is None:
            global _shipped
            with _shipped_lock:
                if _shipped is None:
                    _shipped = cls._read(DEFAULT_ARTIFACT)
                return _shipped
        return cls._read(Path(path))

    @classmethod
    def _read(cls, path: Path) -> "SentimentModel":
        if not path.is_file():
            raise ModelNotFound(f"{path}: no sentiment model artifact (run `koubei train`)")
        import joblib
        try:
            artifact = joblib.load(path)
        except Exception as exc:  # unpickling raises anything at all on a damaged file
            raise ModelLoadError(
                f"{path}: cannot load sentiment model: {type(exc).__name__}: {exc}") from exc
        if not isinstance(artifact, dict) or artifact.get("format") != ARTIFACT_FORMAT \
                or "pipeline" not in artifact or "version" not in artifact.get("meta", {}):
            raise ModelLoadError(
                f"{path}: not a Koubei sentiment artifact (format {ARTIFACT_FORMAT})")
        return cls(artifact["pipeline"], artifact["meta"])

    def scores(self, texts_norm: Sequence[str]) -> np.ndarray:
        """Raw model scores ``2 p(positive) - 1`` for every text, content or not."""
        if not len(texts_norm):
            return np.zeros(0)
        if self._linear is not None:
            return 2.0 * self._linear.p_positive(list(texts_norm)) - 1.0
        return 2.0 * self.pipeline.predict_proba(list(texts_norm))[:, 1] - 1.0

    def predict(self, texts_norm: Sequence[str]) -> list[Sentiment]:
        """One ``Sentiment`` per normalised text, in order; the model runs once per call."""
        return [Sentiment(label, score, self.version) for label, score in self.judge(texts_norm)]

    def judge(self, texts_norm: Sequence[str]) -> list[tuple[str, float]]:
        """``(label, score)`` per normalised text: ``predict`` without the records."""
        threshold = self.threshold
        pending: list[tuple[int, str, float]] = []  # (index, what the model reads, band)
        maybe_asking = patterns.texts_matching(_MAYBE_QUESTION, texts_norm)
        for i, text in enumerate(texts_norm):
            if not has_content(text):
                continue
            if i not in maybe_asking and text[0] not in _SENTENCE_ENDS:
                # No question in it: the statements are the whole text.
                pending.append((i, text, threshold))
                continue
            rest, had_questions, only_asking = statements(text)
            if has_content(rest):
                pending.append((i, rest, threshold))
            elif not only_asking:
                band = self.question_threshold if had_questions else threshold
                pending.append((i, text, band))
        results: list[tuple[str, float]] = [("neutral", 0.0)] * len(texts_norm)
        raw = self.scores([read for _, read, _ in pending]).tolist()
        for (i, _, band), score in zip(pending, raw):
            score = min(1.0, max(-1.0, round(score, 4)))
            label = "neutral" if abs(score) < band else ("positive" if score > 0 else "negative")
            results[i] = (label, score)
        return results
