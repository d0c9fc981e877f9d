"""Character n-gram TF-IDF computed with numpy over a whole batch at once.

``CharNgramTfidf`` gives the same matrix as scikit-learn's
``TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)``
(tests/nlp/test_ngrams.py checks it) about ten times faster, because no Python code runs per
n-gram: the batch is one array of code points, an n-gram is one integer (21 bits per
character, code point + 1 so that no character is 0 and "\\x00a" is not "a"; up to three
characters fit an ``int64``), the vocabulary is a sorted array of those integers searched with
``np.searchsorted``, and counting is ``np.unique`` over ``(row, feature)`` pairs.

Follows the scikit-learn estimator contract (parameters stored by ``__init__``, learned
state ending in ``_``), so it pickles inside the shipped pipeline.
"""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from nlp.features import model_text_many

_BITS = 21  # every Unicode code point + 1 is below 2**21
_WHITESPACE = re.compile(r"\s\s+")  # scikit-learn's char analyzer collapses these


def _codepoints(texts: list[str], prepared: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The texts (as the model reads them: ``model_text``, unless ``prepared`` says that was
    done) joined into one code point array, and each text's start offset (plus the end)."""
    if not prepared:
        texts = model_text_many(texts)
    joined = "\x00".join(texts)
    if texts and joined.count("\x00") == len(texts) - 1:
        # One call for the batch: the separator is no space, so the whitespace rule does not
        # cross it.
        prepared_texts = _WHITESPACE.sub(" ", joined).split("\x00")
    else:
        prepared_texts = [_WHITESPACE.sub(" ", t) for t in texts]
    lengths = np.fromiter(map(len, prepared_texts), dtype=np.int64, count=len(prepared_texts))
    starts = np.zeros(len(prepared_texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    points = np.frombuffer("".join(prepared_texts).encode("utf-32-le"), dtype=np.uint32)
    return points.astype(np.int64) + 1, starts  # + 1: no character codes as 0


def ngram_codes(texts: list[str], ngram_range: tuple[int, int], prepared: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(row, code)`` arrays with one entry per character n-gram occurrence (``prepared``:
    the texts are ``model_text`` already)."""
    low, high = ngram_range
    if not 1 <= low <= high <= 3:
        raise ValueError(f"ngram_range {ngram_range}: only n-grams of 1 to 3 characters")
    points, starts = _codepoints(texts, prepared)
    total = len(points)
    row_of = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(starts))
    end_of = starts[1:][row_of] if total else np.zeros(0, dtype=np.int64)
    rows, codes = [], []
    for n in range(low, high + 1):
        count = total - n + 1
        if count <= 0:
            continue
        code = points[:count].copy()
        for k in range(1, n):
            code = (code << _BITS) | points[k:k + count]
        inside = np.arange(count) + n <= end_of[:count]
        rows.append(row_of[:count][inside])
        codes.append(code[inside])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(codes)


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF of character n-grams (smooth idf, l2-normalised rows). ``min_df``: an
    n-gram must occur in at least that many training texts to be a feature."""

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), min_df: int = 2):
        self.ngram_range = ngram_range
        self.min_df = min_df

    def fit(self, texts, y=None):
        texts = list(texts)
        rows, codes = ngram_codes(texts, self.ngram_range)
        order = np.lexsort((rows, codes))
        codes, rows = codes[order], rows[order]
        first = np.ones(len(codes), dtype=bool)  # first occurrence of a (code, row) pair
        first[1:] = (codes[1:] != codes[:-1]) | (rows[1:] != rows[:-1])
        vocabulary, df = np.unique(codes[first], return_counts=True)
        keep = df >= self.min_df
        self.codes_ = vocabulary[keep]
        self.idf_ = (np.log((1 + len(texts)) / (1 + df[keep])) + 1).astype(np.float32)
        return self

    def transform(self, texts, prepared: bool = False) -> sp.csr_matrix:
        """The TF-IDF rows of ``texts`` (``prepared``: already ``model_text``)."""
        texts = list(texts)
        rows, codes = ngram_codes(texts, self.ngram_range, prepared)
        width = len(self.codes_)
        # Searching the distinct codes in sorted order keeps the binary search in cache.
        distinct, inverse = np.unique(codes, return_inverse=True)
        found = np.minimum(np.searchsorted(self.codes_, distinct), max(width - 1, 0))
        known = (self.codes_[found] == distinct)[inverse] if width else np.zeros(len(codes), bool)
        # Row-major cell numbers: sorted, they are already in CSR order.
        cells, counts = np.unique(rows[known] * width + found[inverse][known], return_counts=True)
        row_of, column = np.divmod(cells, width) if width else (cells, cells)
        values = (1 + np.log(counts)).astype(np.float32) * self.idf_[column]
        norms = np.sqrt(np.bincount(row_of, weights=values * values, minlength=len(texts)))
        values /= norms[row_of].astype(np.float32)
        indptr = np.searchsorted(row_of, np.arange(len(texts) + 1))
        return sp.csr_matrix((values, column, indptr), shape=(len(texts), width))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([decode(c) for c in self.codes_], dtype=object)


def decode(code: int) -> str:
    """The n-gram an integer code stands for."""
    chars = []
    code = int(code)
    while code:
        chars.append(chr((code & ((1 << _BITS) - 1)) - 1))
        code >>= _BITS
    return "".join(reversed(chars))
