"""Aspects: which topics a review praises and which it criticises.

A first, deliberately simple method: the normalised text is cut into clauses at punctuation
and at contrast words (但是 不过 可是 然而 只是 ...); every clause that names a topic is scored
by the sentiment model on its own, and the review's aspects are the distinct
``(topic, polarity)`` pairs in clause order. "屏幕很好看，但是续航太差" gives
``[("外观设计", "positive"), ("电池续航", "negative")]``.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from models.review import Sentiment

# Contrast words start a new clause; 但 alone only before a character that is not part of
# a word with it (但愿 但凡 are not contrasts).
_CLAUSE_BREAK = re.compile(r"[,，.。!！?？;；~…\n]+|但是|不过|可是|然而|只是|但(?![愿凡])")


def clauses(text_norm: str) -> list[str]:
    """Non-empty clauses of ``text_norm``, in order."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text_norm) if c.strip()]


def clause_tokens(text_norm: str, tokens: Sequence[str]) -> list[tuple[str, list[str]]]:
    """``(clause, its tokens)`` pairs, reusing the text's segmentation: tokens are found in
    order in the text, and a token belongs to the clause it starts in."""
    starts, position = [], 0
    for token in tokens:
        found = text_norm.find(token, position)
        starts.append(found if found >= 0 else position)
        position = found + len(token) if found >= 0 else position
    result, previous, i = [], 0, 0
    for boundary in [*(m.start() for m in _CLAUSE_BREAK.finditer(text_norm)), len(text_norm)]:
        clause = text_norm[previous:boundary].strip()
        own = []
        while i < len(tokens) and starts[i] < boundary:
            own.append(tokens[i])
            i += 1
        if clause:
            result.append((clause, own))
        match = _CLAUSE_BREAK.match(text_norm, boundary)
        previous = match.end() if match else boundary
        while i < len(tokens) and starts[i] < previous:  # tokens of the break itself
            i += 1
    return result


def aspects_of(texts_norm: Sequence[str], tokens: Sequence[Sequence[str]],
               topics_for: Callable[[int, str, list[str]], list[str]],
               predict: Callable[[list[str]], list[Sentiment]]) -> list[list[tuple[str, str]]]:
    """Aspects for each text. ``tokens`` are each text's tokens; ``topics_for(i, clause,
    clause_tokens)`` names the topics of a clause of text ``i``; ``predict`` scores all
    topical clauses of all texts in one call."""
    pending: list[tuple[int, list[str], str]] = []
    for i, text in enumerate(texts_norm):
        for clause, own in clause_tokens(text, tokens[i]):
            topics = topics_for(i, clause, own)
            if topics:
                pending.append((i, topics, clause))
    sentiments = predict([clause for _, _, clause in pending]) if pending else []
    result: list[list[tuple[str, str]]] = [[] for _ in texts_norm]
    for (i, topics, _), sentiment in zip(pending, sentiments):
        for topic in topics:
            pair = (topic, sentiment.label)
            if pair not in result[i]:
                result[i].append(pair)
    return result
