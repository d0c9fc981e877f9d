"""Word segmentation: jieba with Koubei's dictionaries, on a tokenizer of our own.

jieba's global tokenizer is never touched (other code in the process may use it). The base
tokenizer loads jieba's dictionary plus the shipped slang dictionary (``dicts/slang.txt``:
踩雷 种草 智商税 yyds ...) once per process, on first use; a ``Segmenter`` with extra words
(brand and product keywords from the config) works on a copy of it, so each of those words
stays one token.

Platform emoticons (``[怒]``) and emoji clusters (``👍🏻``) are single tokens; whitespace is
never a token. Search tokens (``search_tokens``) add the dictionary words inside long words
(不好用 → 不好用 不好 好用) and are lower-case, so that a query segmented on its own finds the
words it was segmented into within a longer text.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Iterable

import jieba

from nlp import patterns
from nlp.normalize import normalize

SLANG_DICT = Path(__file__).with_name("dicts") / "slang.txt"
_PROTECTED = re.compile(f"{patterns.EMOTICON.pattern}|{patterns.EMOJI.pattern}")
# Function words that only narrow a search ("手机的质量" should find "手机质量很差").
_QUERY_FILLERS = frozenset("的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 很 也 就 都 还 和 与 及 或 是 在".split())

jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading at DEBUG to stderr
_base: jieba.Tokenizer | None = None
_lock = threading.Lock()


def _base_tokenizer() -> jieba.Tokenizer:
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(SLANG_DICT))
                _base = tokenizer
    return _base


def _with_words(base: jieba.Tokenizer, words: Iterable[str]) -> jieba.Tokenizer:
    """A tokenizer sharing nothing mutable with ``base``, plus ``words``. Copying the word
    table is far cheaper than jieba's own initialisation (~1.5 s per tokenizer)."""
    tokenizer = jieba.Tokenizer()
    with base.lock:
        tokenizer.FREQ, tokenizer.total = dict(base.FREQ), base.total
        tokenizer.user_word_tag_tab = dict(base.user_word_tag_tab)
    tokenizer.initialized = True
    for word in words:
        tokenizer.add_word(word)
    return tokenizer


class Segmenter:
    """Segments normalised text. ``extra_words`` are kept whole (normalised first; words
    containing whitespace cannot be jieba words and are ignored)."""

    def __init__(self, extra_words: Iterable[str] = ()):
        words = (normalize(w).text for w in extra_words)
        self.extra_words = tuple(sorted({w for w in words
                                         if w and not any(c.isspace() for c in w)}))
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    base = _base_tokenizer()
                    self._tokenizer = (_with_words(base, self.extra_words)
                                       if self.extra_words else base)
        return self._tokenizer

    def segment(self, text: str) -> list[str]:
        """Words of ``text`` in order, without whitespace tokens."""
        tokenizer = self.tokenizer
        tokens: list[str] = []
        start = 0
        for match in _PROTECTED.finditer(text):
            if match.start() > start:
                tokens.extend(tokenizer.cut(text[start:match.start()]))
            tokens.append(match.group())
            start = match.end()
        if start < len(text):
            tokens.extend(tokenizer.cut(text[start:]))
        return [t for t in tokens if not t.isspace()]

    def search_tokens(self, tokens: Iterable[str]) -> list[str]:
        """``tokens`` lower-cased without punctuation, each long word followed by the dictionary
        words inside it."""
        freq = self.tokenizer.FREQ
        out: list[str] = []
        for token in tokens:
            if patterns.is_punctuation(token):
                continue
            out.append(token.lower())
            if len(token) > 2 and patterns.has_cjk(token):
                for size in (2, 3):
                    for i in range(len(token) - size + 1):
                        part = token[i:i + size]
                        if part != token and freq.get(part):
                            out.append(part.lower())
        return out

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
