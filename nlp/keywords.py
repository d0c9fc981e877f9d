"""Keywords of one review, and the terms that explain a spike.

``keywords`` ranks a review's candidate words by TF × IDF, with the IDF table jieba ships
(words it does not know get the median IDF, so new slang still ranks). Candidates exclude
stopwords (``dicts/stopwords.txt``), punctuation, numbers, emoticons/emoji and one-character
tokens.

``overrepresented_terms`` compares the share of reviews containing each term in a window
(the spike) against a baseline with a two-proportion z test, and reports the lift: it is what
lets an incident say "退款 and 闪退 are up 6×".
"""
from __future__ import annotations

import functools
import threading
from collections import Counter, _count_elements  # type: ignore[attr-defined]
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable, Sequence

import jieba

from nlp import patterns
from nlp.memo import Memo

STOPWORDS_FILE = Path(__file__).with_name("dicts") / "stopwords.txt"
IDF_FILE = Path(jieba.__file__).parent / "analyse" / "idf.txt"

_tables: tuple[dict[str, float], float, frozenset[str]] | None = None
_lock = threading.Lock()


def _load() -> tuple[dict[str, float], float, frozenset[str]]:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                idf: dict[str, float] = {}
                with open(IDF_FILE, encoding="utf-8") as handle:
                    for line in handle:
                        word, _, value = line.rstrip("\n").rpartition(" ")
                        if word:
                            idf[word] = float(value)
                median = sorted(idf.values())[len(idf) // 2]
                lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
                stopwords = frozenset(w.strip() for w in lines
                                      if w.strip() and not w.startswith("#"))
                _tables = (idf, median, stopwords)
    return _tables


@functools.lru_cache(maxsize=65536)
def is_candidate(token: str) -> bool:
    """Could ``token`` be a keyword at all?"""
    if len(token) < 2 or patterns.is_punctuation(token) or token.isspace():
        return False
    if patterns.EMOTICON.fullmatch(token) or patterns.EMOJI.match(token):
        return False
    if token.replace(".", "").isdigit():
        return False
    return token.lower() not in _load()[2]


def _weight(token: str) -> tuple[str, float] | None:
    """``(keyword form, idf)`` of a candidate token, None for any other."""
    if not is_candidate(token):
        return None
    idf, median, _ = _load()
    word = token.lower()
    return word, idf.get(word, median)


_weights: Memo[str, tuple[str, float] | None] = Memo(_weight, 1 << 17)


def keywords(tokens: Sequence[str], top: int = 5) -> list[str]:
    """The ``top`` keywords of a review's tokens, best first (ties: first occurrence)."""
    return keywords_many([tokens], top)[0]


def keywords_many(token_lists: Sequence[Sequence[str]], top: int = 5) -> list[list[str]]:
    """``keywords`` of each token list. Each distinct token is weighed once (and cached),
    and only candidates are counted: most tokens are stopwords or punctuation."""
    get = _weights.__getitem__
    result = []
    for tokens in token_lists:
        counts: dict[str, int] = {}  # in order of first occurrence, kept by the stable sort
        _count_elements(counts, filter(get, tokens))  # Counter's own C loop, without its checks
        scores = {word: count * idf
                  for (word, idf), count in zip(map(get, counts), counts.values())}
        if len(scores) < len(counts):  # two spellings of one word (YYDS, yyds): add them up
            scores = {}
            for token, count in counts.items():
                word, idf = get(token)
                scores[word] = scores.get(word, 0.0) + count * idf
        result.append(sorted(scores, key=scores.__getitem__, reverse=True)[:top])
    return result


def _rise(yw: int, nw: int, yb: int, nb: int) -> float:
    """Two-proportion z statistic (pooled) of the window share over the baseline share;
    without a baseline, the window share itself."""
    if nb == 0:
        return yw / nw
    pooled = (yw + yb) / (nw + nb)
    spread = (pooled * (1 - pooled) * (1 / nw + 1 / nb)) ** 0.5
    return (yw / nw - yb / nb) / spread if spread else 0.0


@dataclass(frozen=True, slots=True)
class TermLift:
    term: str
    window_count: int    # reviews in the window containing the term
    baseline_count: int  # reviews in the baseline containing the term
    lift: float          # window share / baseline share, both +0.5 smoothed
    score: float         # how sure the rise is: two-proportion z statistic


def _review_terms(tokens: tuple[str, ...]) -> frozenset[str]:
    """The distinct candidate terms (lower-cased) of one review's tokens."""
    get = _weights.__getitem__
    return frozenset(pair[0] for pair in filter(None, map(get, tokens)))


# an explanation reads the same few thousand baseline reviews at every tick it fires
_terms_of: Memo[tuple[str, ...], frozenset[str]] = Memo(_review_terms, 1 << 16)


def _documents(reviews: Iterable[Sequence[str]]) -> tuple[Counter, int]:
    """How many of ``reviews`` hold each candidate term (lower-cased), and how many there
    are; a review's terms are remembered by its tokens, and the counting stays in C."""
    sets = list(map(_terms_of.__getitem__, map(tuple, reviews)))
    counts: dict[str, int] = {}
    _count_elements(counts, chain.from_iterable(sets))
    return Counter(counts), len(sets)


def overrepresented_terms(window: Sequence[Sequence[str]], baseline: Sequence[Sequence[str]],
                          top: int = 10, min_count: int = 2) -> list[TermLift]:
    """Terms found in at least ``min_count`` window reviews and more common there than in the
    baseline, most significant first. A term inside a better-ranked term that is found in no
    more reviews (性价 inside 性价比) adds nothing and is left out."""
    in_window, n_window = _documents(window)
    in_baseline, n_baseline = _documents(baseline)
    scored: list[TermLift] = []
    for term, yw in in_window.items():
        if yw < min_count:
            continue
        yb = in_baseline.get(term, 0)
        lift = ((yw + .5) / (n_window + 1)) / ((yb + .5) / (n_baseline + 1))
        if lift > 1:
            scored.append(TermLift(term, yw, yb, round(lift, 3),
                                   round(_rise(yw, n_window, yb, n_baseline), 3)))
    scored.sort(key=lambda t: (-t.score, -t.window_count, -len(t.term), t.term))
    chosen: list[TermLift] = []
    for candidate in scored:
        if any(candidate.term in kept.term and candidate.window_count <= kept.window_count
               for kept in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == top:
            break
    return chosen
