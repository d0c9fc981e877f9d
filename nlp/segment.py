"""Word segmentation: jieba's dictionary and algorithm, run by jieba-rs, with Koubei's words.

The segmenter is ``rjieba`` (the Python binding of jieba-rs): jieba's own dictionary and
algorithm (DAG + HMM for unknown words) compiled, about ten times faster than ``jieba.cut``.
Where jieba-rs keeps a Latin/digit run with ``-`` or ``.`` whole (``RS-MMC``, ``2-3``), the
run is split the way jieba's HMM step splits it (``RS - MMC``), so tokens match jieba's on
99.997% of tokens and 99.97% of whole reviews of the labelled test split
(``benchmarks/nlp_bench.py`` measures it).

Every ``Segmenter`` owns its tokenizer (jieba's and rjieba's global ones are never touched):
jieba's dictionary plus the shipped slang dictionary (``dicts/slang.txt``: 踩雷 种草 智商税
yyds ...) plus its extra words (brand and product keywords from the config), each added with
jieba's suggested frequency so that it stays one token, as ``jieba.load_userdict`` does.

Platform emoticons (``[怒]``) and emoji clusters (``👍🏻``) are single tokens; whitespace is
never a token. Search tokens (``search_tokens``) add the dictionary words inside long words
(不好用 → 不好用 不好 好用) and are lower-case, so that a query segmented on its own finds the
words it was segmented into within a longer text.
"""
from __future__ import annotations

import itertools
import operator
import re
import threading
from pathlib import Path
from typing import Iterable, Sequence

import rjieba

from nlp import patterns
from nlp.memo import Memo
from nlp.normalize import normalize

SLANG_DICT = Path(__file__).with_name("dicts") / "slang.txt"
_PROTECTED = re.compile(f"{patterns.EMOTICON.pattern}|{patterns.EMOJI.pattern}")
# jieba's HMM step splits a non-Chinese run at anything but letters, digits and a decimal
# part (jieba.finalseg.re_skip); jieba-rs keeps "RS-MMC" and "3.checkin" whole.
_JIEBA_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_PLAIN = re.compile(r"[a-zA-Z0-9]*")
_JOINERS = re.compile(r"[+#&._%\-]")  # what jieba-rs lets into a Latin run besides letters
_SEARCH_FORMS_CACHED = 200_000
# Joins a batch for one jieba call: not a letter, digit, CJK or whitespace, so jieba makes
# it a token of its own and no word crosses it.
_BATCH_SEPARATOR = "\x00"
# Function words that only narrow a search ("手机的质量" should find "手机质量很差").
_QUERY_FILLERS = frozenset("的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 很 也 就 都 还 和 与 及 或 是 在".split())


def user_dictionary(path: Path = SLANG_DICT) -> list[tuple[str, int | None]]:
    """``(word, frequency or None)`` pairs of a user dictionary in jieba's format
    (``word [freq] [tag]`` a line; ``#`` starts a comment)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
            entries.append((fields[0], freq))
    return entries


def _tokenizer(entries: Iterable[tuple[str, int | None]]) -> rjieba.Jieba:
    """jieba's dictionary plus ``entries``; a word without a frequency gets jieba's suggested
    one (high enough to keep it whole), as ``jieba.add_word(word)`` gives it."""
    tokenizer = rjieba.Jieba()
    for word, freq in entries:
        tokenizer.add_word(word, freq if freq is not None else tokenizer.suggest_freq(word), None)
    return tokenizer


def _like_jieba(tokens: list[str], text: str) -> list[str]:
    if not _JOINERS.search(text):
        return tokens  # nothing jieba-rs could have kept together that jieba splits
    out: list[str] = []
    for token in tokens:
        if len(token) > 1 and token.isascii() and not _PLAIN.fullmatch(token):
            out.extend(part for part in _JIEBA_SKIP.split(token) if part)
        else:
            out.append(token)
    return out


def words_of(tokens: list[str], text: str) -> list[str]:
    """``tokens`` (which cover ``text`` exactly) without the whitespace ones."""
    if not patterns.WHITESPACE.search(text):
        return tokens
    return list(itertools.compress(tokens, map(operator.not_, map(str.isspace, tokens))))


def starts_of(tokens: list[str], text: str) -> list[int]:
    """Where each of ``words_of(tokens, text)`` starts in ``text``."""
    starts = list(itertools.accumulate(map(len, tokens), initial=0))
    starts.pop()
    if not patterns.WHITESPACE.search(text):
        return starts
    return list(itertools.compress(starts, map(operator.not_, map(str.isspace, tokens))))


class Segmenter:
    """Segments normalised text. ``extra_words`` are kept whole (normalised first; words
    containing whitespace cannot be jieba words and are ignored)."""

    def __init__(self, extra_words: Iterable[str] = ()):
        words = (normalize(w).text for w in extra_words)
        self.extra_words = tuple(sorted({w for w in words
                                         if w and not any(c.isspace() for c in w)}))
        self._tokenizer: rjieba.Jieba | None = None
        self._lock = threading.Lock()
        self._search_forms = Memo(self._search_forms_of, _SEARCH_FORMS_CACHED)

    @property
    def tokenizer(self) -> rjieba.Jieba:
        """Built on first use (~0.2 s: jieba's dictionary plus the user words)."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _tokenizer(
                        [*user_dictionary(), *((w, None) for w in self.extra_words)])
        return self._tokenizer

    def segment(self, text: str) -> list[str]:
        """Words of ``text`` in order, without whitespace tokens."""
        return self.segment_with_starts(text)[0]

    def segment_with_starts(self, text: str) -> tuple[list[str], list[int]]:
        """``(words, where each starts in text)``, without whitespace tokens."""
        tokens = self.cut(text)
        return words_of(tokens, text), starts_of(tokens, text)

    def segment_many(self, texts: Sequence[str]) -> list[tuple[list[str], list[int]]]:
        """``segment_with_starts`` of each text (``cut_many`` cuts them together)."""
        return [(words_of(tokens, text), starts_of(tokens, text))
                for tokens, text in zip(self.cut_many(texts), texts)]

    def cut(self, text: str) -> list[str]:
        """The tokens of ``text``, whitespace tokens included: they cover it exactly."""
        cut = self.tokenizer.cut
        if not _PROTECTED.search(text):
            return _like_jieba(cut(text), text)
        tokens, start = [], 0
        for match in _PROTECTED.finditer(text):
            if match.start() > start:
                piece = text[start:match.start()]
                tokens.extend(_like_jieba(cut(piece), piece))
            tokens.append(match.group())
            start = match.end()
        if start < len(text):
            tokens.extend(_like_jieba(cut(text[start:]), text[start:]))
        return tokens

    def cut_many(self, texts: Sequence[str]) -> list[list[str]]:
        """``cut`` of each text. The texts without emoticons or emoji are cut in one call,
        joined by a separator: jieba cuts each run of Chinese, Latin and digits on its own
        and makes every other character a token of its own, so the separator comes back as
        a token exactly between two texts' tokens."""
        results: list[list[str] | None] = [None] * len(texts)
        joined = _BATCH_SEPARATOR.join(texts)
        if joined.count(_BATCH_SEPARATOR) != len(texts) - 1:
            return [self.cut(text) for text in texts]
        plain = list(range(len(texts)))
        if patterns.PROTECTED_START.search(joined) and _PROTECTED.search(joined):
            plain = [i for i in plain if not _PROTECTED.search(texts[i])]
            for i in set(range(len(texts))) - set(plain):
                results[i] = self.cut(texts[i])
            joined = _BATCH_SEPARATOR.join(texts[i] for i in plain)
        if plain:
            tokens = self.tokenizer.cut(joined)
            if tokens.count(_BATCH_SEPARATOR) != len(plain) - 1:  # not jieba's behaviour
                return [self.cut(text) for text in texts]
            joiners = _JOINERS.search(joined) is not None
            start = 0
            for i in plain:
                end = tokens.index(_BATCH_SEPARATOR, start) if i != plain[-1] else len(tokens)
                own = tokens[start:end]
                results[i] = _like_jieba(own, texts[i]) if joiners else own
                start = end + 1
        return results  # type: ignore[return-value]

    def search_tokens(self, tokens: Iterable[str]) -> list[str]:
        """``tokens`` lower-cased without punctuation, each long word followed by the dictionary
        words inside it."""
        return self.search_tokens_many([list(tokens)])[0]

    def search_tokens_many(self, token_lists: Sequence[list[str]]) -> list[list[str]]:
        """``search_tokens`` of each token list; the forms of each distinct word are worked
        out once and remembered."""
        forms, chain = self._search_forms.__getitem__, itertools.chain.from_iterable
        return [list(chain(map(forms, tokens))) for tokens in token_lists]

    def _search_forms_of(self, token: str) -> tuple[str, ...]:
        if patterns.is_punctuation(token):
            return ()
        found = [token.lower()]
        if len(token) > 2 and patterns.has_cjk(token):
            known = self.tokenizer.has_word
            for size in (2, 3):
                for i in range(len(token) - size + 1):
                    part = token[i:i + size]
                    if part != token and known(part):
                        found.append(part.lower())
        return tuple(found)

    def query_terms(self, q: str) -> str:
        """A user's search box text as the store's space-separated terms (each must match)."""
        words = [t.lower() for t in self.segment(normalize(q).text)
                 if not patterns.is_punctuation(t)]
        terms = list(dict.fromkeys(words))
        meaningful = [t for t in terms if t not in _QUERY_FILLERS]
        return " ".join(meaningful or terms)


_default: Segmenter | None = None


def default_segmenter() -> Segmenter:
    """The process-wide segmenter with the shipped dictionaries only."""
    global _default
    if _default is None:
        _default = Segmenter()
    return _default


def segment(text: str) -> list[str]:
    """Segment normalised ``text`` with the default segmenter."""
    return default_segmenter().segment(text)


def query_terms(q: str) -> str:
    """Normalise and segment a search query into space-separated terms ("" if none)."""
    return default_segmenter().query_terms(q)
