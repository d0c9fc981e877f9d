"""Search highlighting: where the words of ``ReviewQuery.q`` occur in a found review.

One convention on every backend: the highlight is an HTML fragment of the review's text in
which every character is HTML-escaped except the ``<em>``/``</em>`` pairs around each match,
so a page may insert it as markup as it is. Texts longer than ``FRAGMENT`` characters are cut
to a window around the first match, marked with ``…`` where cut.

Both backends compute it here, from the found review, rather than with their own highlighters:
``q`` matches the segmented ``tokens``, which SQLite's FTS index holds instead of the text and
Elasticsearch's text analyzer does not share (it splits Chinese per character), and the tokens
come from the simplified ``text_norm``. A word is looked for in ``text`` as written first, then
in ``text_norm`` (a review written in traditional script, say 發熱 for 发热); a match found in
``text_norm`` is drawn on ``text`` as written: the two texts are aligned character by character
(normalising converts script and width one character for one, and drops control characters and
markup), so the reader sees 說實話，剛更新完就<em>發熱</em>, not the simplified 说实话,刚…. Only
texts longer than ``ALIGN_LIMIT`` characters, which are rare and costly to align, are shown as
normalised.
"""
from __future__ import annotations

import html
import re
from difflib import SequenceMatcher

from models.review import Review

FRAGMENT = 160   # characters shown around the first match of a long text
LEAD = 40        # of which before it
OPEN, CLOSE = "<em>", "</em>"
ALIGN_LIMIT = 4000  # characters; a longer text found only through text_norm shows text_norm


def query_words(q: str | None) -> list[str]:
    """The words of ``q`` a highlight looks for: the whitespace-separated terms with a letter
    or digit (the same rule both backends apply to ``q``)."""
    if not q:
        return []
    return [t for t in q.split() if any(ch.isalnum() for ch in t)]


def highlight(review: Review, words: list[str]) -> str | None:
    """The highlighted fragment of ``review`` for ``words``, or None when none occurs in its
    text or normalised text."""
    if not words:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len,
                                                              reverse=True)), re.IGNORECASE)
    spans = [m.span() for m in pattern.finditer(review.text or "")]
    if spans:
        return _render(review.text, spans)
    norm = review.text_norm or ""
    spans = [m.span() for m in pattern.finditer(norm)]
    if not spans:
        return None
    written = _on_written(review.text or "", norm, spans)
    return _render(review.text, written) if written else _render(norm, spans)


def _on_written(text: str, norm: str, spans: list[tuple[int, int]]
                ) -> list[tuple[int, int]] | None:
    """``spans`` of ``norm`` moved onto ``text``, the text it was normalised from; None when
    the texts are too long to align."""
    if not text or len(text) > ALIGN_LIMIT or len(norm) > ALIGN_LIMIT:
        return None
    starts, ends = list(range(len(norm))), list(range(1, len(norm) + 1))
    matcher = SequenceMatcher(None, norm, text, autojunk=False)
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            if i2 - i1 == j2 - j1:  # equal, or converted one character for one
                starts[i], ends[i] = j1 + i - i1, j1 + i - i1 + 1
            else:                   # a run that changed length: the whole run
                starts[i], ends[i] = j1, max(j2, j1)
    moved = [(starts[s], ends[e - 1]) for s, e in spans]
    return [(s, e) for s, e in moved if e > s] or None


def _render(text: str, spans: list[tuple[int, int]]) -> str:
    start, end = 0, len(text)
    if len(text) > FRAGMENT:
        start = max(0, spans[0][0] - LEAD)
        end = min(len(text), start + FRAGMENT)
    parts = ["…" if start > 0 else ""]
    at = start
    for s, e in spans:
        if s < at or s >= end:
            continue
        e = min(e, end)
        parts += [html.escape(text[at:s]), OPEN, html.escape(text[s:e]), CLOSE]
        at = e
    parts += [html.escape(text[at:end]), "…" if end < len(text) else ""]
    return "".join(parts)


def highlights(reviews: list[Review], q: str | None) -> dict[str, str]:
    """``{review id: fragment}`` for the reviews of a search page where a word of ``q``
    occurs; empty without ``q``."""
    words = query_words(q)
    if not words:
        return {}
    found = {}
    for review in reviews:
        fragment = highlight(review, words)
        if fragment is not None:
            found[review.id] = fragment
    return found
