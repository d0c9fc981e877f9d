"""The sentiment model: a trained scikit-learn pipeline plus the rules that make it say
"neutral" when it should.

``score`` is ``p(positive) - p(negative)`` in [-1, 1] (``2 * p(positive) - 1`` for a model
without a neutral head); below 0 leans negative. A model trained on three-way data has a
**neutral head** beside the polarity head: ``p(neutral)`` from a second linear classifier on
the same features, and ``p(positive) = (1 - p(neutral)) * p(positive | opinion)``. The label is
- ``neutral`` when ``p(neutral)`` reaches the threshold chosen on the three-way dev rows;
- ``neutral`` when the text has no usable content (empty, punctuation only, no Chinese and
  no emoji: nothing the model was trained to read), with score 0;
- ``neutral`` when the model is unsure: ``|score|`` below the threshold chosen on the dev
  split at training time;
- questions that ask for information are a neutral cue, because asking is not judging:
  they are set aside and the rest of the text is scored ("手机不错。请问续航怎么样?" is judged
  on "手机不错。"); a text that only asks ("请问续航怎么样?") is neutral with score 0.
  Rhetorical questions ("这也叫手机?", "漫威这波有多失败呢?") are read like statements: on
  the three-way Weibo labels, setting them aside cost more than it gained;
- otherwise ``negative``/``positive`` by the sign of the score;
- then the construction rules of ``nlp.constructions`` (double negation, sarcasm, concession,
  hedges, a low star rating when ``ratings`` are given) adjust the few texts they apply to.
Aspect clauses (``judge(..., clauses=n)``) take p(neutral) from the aspect head and its own
thresholds, when the model has one.
"""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from models.review import Sentiment
from nlp import constructions, patterns
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

_LABELS = ("negative", "neutral", "positive")
_shipped: "SentimentModel | None" = None
_shipped_lock = threading.Lock()


def is_question(sentence: str) -> bool:
    return _QUESTION_END.search(sentence) is not None or _ASKING_OPENER.search(sentence) is not None


def is_asking(sentence: str) -> bool:
    return _ASKING_OPENER.search(sentence) is not None or (
        _QUESTION_END.search(sentence) is not None and _ASKING.search(sentence) is not None)


def statements(text: str) -> tuple[str, bool, bool]:
    """``(text without its asking questions, had questions, every question was asking)``.
    A question that does not ask for information ("这也叫手机?", "漫威这波有多失败呢?") is
    kept: rhetorical questions carry the writer's feeling."""
    kept, questions, asking = [], 0, 0
    for sentence in _SENTENCE.findall(text):
        if is_question(sentence):
            questions += 1
            if is_asking(sentence):
                asking += 1
                continue
        kept.append(sentence)
    return "".join(kept), questions > 0, questions > 0 and asking == questions


def has_content(text: str) -> bool:
    """True when ``text`` has something the model can read: Chinese characters or emoji."""
    return patterns.CJK.search(text) is not None or patterns.EMOJI.search(text) is not None


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

    def __init__(self, pipeline: Any, meta: dict[str, Any], neutral_head: dict | None = None,
                 aspect_head: dict | None = None):
        self.pipeline = pipeline
        self.meta = meta
        self.neutral_head = neutral_head
        # A second neutral head for aspect clauses (statement or opinion about a topic),
        # learnt from clause-level labels; same form as ``neutral_head``.
        self.aspect_head = aspect_head if neutral_head is not None else None
        self._linear = linear_parts(pipeline)
        self._heads = None  # weights (n features, 2 or 3): polarity, neutral, aspect neutral
        if neutral_head is not None and self._linear is not None:
            columns = [self._linear.coef, neutral_head["coef"]]
            if self.aspect_head is not None:
                columns.append(self.aspect_head["coef"])
            self._heads = np.stack([np.asarray(c, dtype=np.float32) for c in columns], axis=1)

    @property
    def neutral_threshold(self) -> float | None:
        """``p(neutral)`` from which a text is neutral (None: no neutral head)."""
        if self._heads is None:
            return None
        return float(self.meta.get("neutral_threshold", 0.5))

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
        return cls(artifact["pipeline"], artifact["meta"], artifact.get("neutral"),
                   artifact.get("aspect_neutral"))

    def scores(self, texts_norm: Sequence[str]) -> np.ndarray:
        """Raw model scores ``2 p(positive) - 1`` for every text, content or not."""
        if not len(texts_norm):
            return np.zeros(0)
        if self._linear is not None:
            return 2.0 * self._linear.p_positive(list(texts_norm)) - 1.0
        return 2.0 * self.pipeline.predict_proba(list(texts_norm))[:, 1] - 1.0

    def probabilities(self, texts_norm: Sequence[str], clauses: int = 0,
                      aspect: np.ndarray | None = None) -> np.ndarray:
        """``(len(texts), 3)``: p(negative), p(neutral), p(positive) of every text, content or
        not (p(neutral) is 0 without a neutral head). The last ``clauses`` texts (or those
        where the boolean array ``aspect`` is true) are aspect clauses: their p(neutral) comes
        from the aspect head where the model has one. One feature transform for every head."""
        if not len(texts_norm):
            return np.zeros((0, 3))
        if self._heads is None:
            p = (self.scores(texts_norm) + 1.0) / 2.0
            return np.column_stack([1.0 - p, np.zeros(len(p)), p])
        linear, head = self._linear, self.neutral_head
        margins = (linear.features.transform(list(texts_norm)) @ self._heads).astype(np.float64)
        polar = margins[:, 0] + linear.intercept
        p = np.mean([1.0 / (1.0 + np.exp(a * polar + b)) for a, b in linear.sigmoids], axis=0)
        a, b = head["sigmoid"]
        neutral = 1.0 / (1.0 + np.exp(a * (margins[:, 1] + head["intercept"]) + b))
        if aspect is None and clauses:
            aspect = np.arange(len(texts_norm)) >= len(texts_norm) - clauses
        if aspect is not None and self.aspect_head is not None and aspect.any():
            a, b = self.aspect_head["sigmoid"]
            neutral[aspect] = 1.0 / (1.0 + np.exp(
                a * (margins[aspect, 2] + self.aspect_head["intercept"]) + b))
        return np.column_stack([(1.0 - neutral) * (1.0 - p), neutral, (1.0 - neutral) * p])

    def predict(self, texts_norm: Sequence[str],
                ratings: Sequence[float | None] | None = None) -> list[Sentiment]:
        """One ``Sentiment`` per normalised text, in order; the model runs once per call.
        ``ratings``: each text's star rating (0–5, None when unknown), when known."""
        return [Sentiment(label, score, self.version)
                for label, score in self.judge(texts_norm, ratings)]

    def aspect_thresholds(self) -> tuple[float, float | None]:
        """``(band, p(neutral) threshold)`` for an aspect's clause: chosen on the car-forum
        aspect labels' train split at training time (a clause that names a topic is more
        often a plain statement than a review is); the review's own where not chosen."""
        band = float(self.meta.get("aspect_band", self.threshold))
        tau = self.neutral_threshold
        if tau is not None:
            tau = float(self.meta.get("aspect_neutral_threshold", tau))
        return band, tau

    def judge(self, texts_norm: Sequence[str],
              ratings: Sequence[float | None] | None = None,
              clauses: int = 0) -> list[tuple[str, float]]:
        """``(label, score)`` per normalised text: ``predict`` without the records. The
        model's reading is adjusted by the rules of ``nlp.constructions`` (double negation,
        sarcasm, concession, hedges, a low star rating). The last ``clauses`` texts are
        aspect clauses, judged with ``aspect_thresholds``."""
        threshold = self.threshold
        tau = self.neutral_threshold
        first_clause = len(texts_norm) - clauses
        aspect_band, aspect_tau = self.aspect_thresholds() if clauses else (threshold, tau)
        pending: list[tuple[int, str, float]] = []  # (index, what the model reads, band)
        maybe_asking = patterns.texts_matching(_MAYBE_QUESTION, texts_norm)
        for i, text in enumerate(texts_norm):
            if not has_content(text):
                continue
            base = aspect_band if i >= first_clause else threshold
            if i not in maybe_asking and text[0] not in _SENTENCE_ENDS:
                # No question in it: the statements are the whole text.
                pending.append((i, text, base))
                continue
            rest, had_questions, only_asking = statements(text)
            if has_content(rest):
                pending.append((i, rest, base))
            elif not only_asking:
                band = max(base, self.question_threshold) if had_questions else base
                pending.append((i, text, band))
        reads = [read for _, read, _ in pending]
        rules = constructions.triggered(reads)  # one scan for every rule's trigger phrases
        for k, kinds in rules.items():
            if "rewrite" in kinds:
                reads[k] = constructions.rewrite(reads[k])
        # Extra texts scored in the same call: the rest beside an exaggerated praise, the
        # part after a concession's contrast. Aspect clauses (cut at contrast words already)
        # get the rewrite and the hedge rule only.
        extra: list[str] = []
        extra_source: dict[int, int] = {}      # position in reads + extra -> text index
        sarcastic: dict[int, Any] = {}  # k -> "sure" | (index of the rest in extra, labels)
        tails: dict[int, int] = {}             # k -> index of the tail in extra
        hedges = set()
        for k, kinds in sorted(rules.items()):
            if "hedge" in kinds:
                hedges.add(k)
            if pending[k][0] >= first_clause:
                continue
            kind = constructions.sarcasm(reads[k]) if "sarcasm" in kinds else None
            if kind == "sure":
                sarcastic[k] = kind
            elif kind is not None and has_content(rest := constructions.rest_after_praise(
                    reads[k])):
                # The rest must read negative (or, after an opening 呵呵, not positive).
                sarcastic[k] = (len(reads) + len(extra), ("negative",) if kind ==
                                "if-rest-negative" else ("negative", "neutral"))
                extra_source[len(reads) + len(extra)] = pending[k][0]
                extra.append(rest)
            elif kind == "if-rest-not-positive":
                sarcastic[k] = "sure"  # 呵呵 alone
            tail = constructions.contrast_tail(reads[k]) if "contrast" in kinds else None
            if tail is not None and has_content(tail):
                tails[k] = len(reads) + len(extra)
                extra_source[len(reads) + len(extra)] = pending[k][0]
                extra.append(tail)
        results: list[tuple[str, float]] = [("neutral", 0.0)] * len(texts_norm)
        aspect = None
        if clauses and self.aspect_head is not None:
            # Aspect clauses (and the extra texts made from them) take the aspect head's
            # p(neutral).
            aspect = np.zeros(len(reads) + len(extra), dtype=bool)
            aspect[[k for k, (i, _, _) in enumerate(pending) if i >= first_clause]] = True
            aspect[[k for k, source in extra_source.items() if source >= first_clause]] = True
        p = self.probabilities(reads + extra, aspect=aspect)
        raw = (p[:, 2] - p[:, 0]).tolist()
        neutral = p[:, 1].tolist()

        def reading(k: int, band: float, tau: float | None) -> tuple[str, float]:
            score = min(1.0, max(-1.0, round(raw[k], 4)))
            label = "neutral" if (tau is not None and neutral[k] >= tau) or abs(score) < band \
                else ("positive" if score > 0 else "negative")
            return label, score

        # Every pending text's own reading at once; the rules then revisit the few they touch.
        n = len(pending)
        is_clause = np.array([i >= first_clause for i, _, _ in pending], dtype=bool)
        taus = np.where(is_clause, 2.0 if aspect_tau is None else aspect_tau,
                        2.0 if tau is None else tau)
        scores = np.clip(np.round(p[:n, 2] - p[:n, 0], 4), -1.0, 1.0)
        codes = np.where((p[:n, 1] >= taus) | (np.abs(scores) < [b for _, _, b in pending]),
                         1, np.where(scores > 0, 2, 0)).tolist()
        scores = scores.tolist()
        special = set(sarcastic) | set(tails) | hedges
        rated = ratings is not None
        for k, (i, _, band) in enumerate(pending):
            label, score = _LABELS[codes[k]], scores[k]
            if k in special:
                t = aspect_tau if i >= first_clause else tau
                if k in sarcastic and (sarcastic[k] == "sure" or reading(
                        sarcastic[k][0], band, t)[0] in sarcastic[k][1]):
                    label, score = "negative", -max(abs(score), band)
                elif k in tails and (tail := reading(tails[k], band, t))[0] != "neutral":
                    label, score = tail
                elif k in hedges and (hedge := constructions.hedge_reading(reads[k])):
                    if hedge == "neutral":
                        label, score = "neutral", max(-band / 2, min(band / 2, score))
                    else:  # the face beside a hedge says which way it leans (还行吧😡)
                        label = hedge
                        score = -max(-score, band) if hedge == "negative" else max(score, band)
            if rated and ratings[i] is not None:
                starred = constructions.star_label(label, score, ratings[i], reads[k])
                if starred != label:
                    label, score = starred, min(score, -band)
            results[i] = (label, score)
        return results
