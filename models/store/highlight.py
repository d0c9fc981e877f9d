"""Search highlighting: where the words of ``ReviewQuery.q`` occur in a found review.

One convention on every backend: the highlight is an HTML fragment of the review's text in
which every character is HTML-escaped except the ``<em>``/``</em>`` pairs around each match,
so a page may insert it as markup as it is. Texts longer than ``FRAGMENT`` characters are cut
to a window around the first match, marked with ``…`` where cut.

Both backends compute it here, from the found review, rather than with their own highlighters:
``q`` matches the segmented ``tokens``, which SQLite's FTS index holds instead of the text and
Elasticsearch's text analyzer does not share (it splits Chinese per character), and the tokens
come from the simplified ``text_norm``. A word is looked for in ``text`` as written first, then
in ``text_norm`` (a review written in traditional script, say 發熱 for 发热).
"""
from __future__ import annotations

import html
import re

from models.review import Review

FRAGMENT = 160   # characters shown around the first match of a long text
LEAD = 40        # of which before it
OPEN, CLOSE = "<em>", "</em>"


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
    for text in (review.text, review.text_norm):
        if text:
            spans = [m.span() for m in pattern.finditer(text)]
            if spans:
                return _render(text, spans)
    return None


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
