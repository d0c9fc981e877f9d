"""Which configured brands and products a review mentions.

An entity is mentioned when one of its keywords or aliases occurs in the normalised text and
no exclusion phrase of that entity covers the occurrence: with keyword 小米 and exclusion
小米粥, "小米粥真好喝" mentions nothing, "小米粥配小米手机" mentions 小米. Latin terms match
case-insensitively and only as whole words (X5 is not inside X50 or MAX5). A product mention
implies its parent brand (and the parent's parent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from models.config import EntityConfig
from nlp.normalize import normalize


def _term_pattern(term: str) -> re.Pattern:
    """A term as a pattern: ASCII letters/digits at its edges must not continue a word."""
    body = re.escape(term)
    head = r"(?<![a-z0-9])" if term[0].isascii() and term[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if term[-1].isascii() and term[-1].isalnum() else ""
    return re.compile(head + body + tail)


def _terms(words: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in (normalize(w).text.lower() for w in words) if t))


@dataclass(frozen=True)
class _Entity:
    id: str
    parent: str | None
    terms: tuple[tuple[str, re.Pattern], ...]
    exclusions: tuple[re.Pattern, ...]

    def mentioned_in(self, text: str) -> bool:
        for term, pattern in self.terms:
            if term not in text:  # cheap check before looking for positions
                continue
            covered = [m.span() for ex in self.exclusions for m in ex.finditer(text)]
            for match in pattern.finditer(text):
                start, end = match.span()
                if not any(s <= start and end <= e for s, e in covered):
                    return True
        return False


class EntityMatcher:
    """Matches the given entities' keywords and aliases in normalised review text."""

    def __init__(self, entities: Sequence[EntityConfig]):
        self._entities = []
        for entity in entities:
            terms = _terms([*entity.keywords, *entity.aliases])
            self._entities.append(_Entity(
                entity.id, entity.parent,
                tuple((t, _term_pattern(t)) for t in terms),
                tuple(_term_pattern(t) for t in _terms(entity.exclude))))
        self._parents = {e.id: e.parent for e in self._entities}

    def match(self, text_norm: str) -> list[str]:
        """Ids of the entities mentioned, in config order, parents after their products."""
        text = text_norm.lower()
        found: list[str] = []
        for entity in self._entities:
            if entity.mentioned_in(text):
                found.append(entity.id)
                parent, seen = entity.parent, {entity.id}
                while parent and parent not in seen:  # a cycle in the config must not hang us
                    found.append(parent)
                    seen.add(parent)
                    parent = self._parents.get(parent)
        return list(dict.fromkeys(found))
