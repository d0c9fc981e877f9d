"""The analysis stage of the pipeline: fill in what ``nlp`` knows about each review.

``Enricher.enrich(reviews)`` sets, in place, ``text_norm``, ``script``, ``tokens`` (search
tokens), ``sentiment``, ``topics``, ``aspects``, ``keywords``, ``entities`` (the review's own
∪ those mentioned) and ``flags`` (crisis terms and spam; other flags such as ``duplicate``
are kept). A review's title, when it has one, is analysed together with its text (an App
Store title such as "差评" is often the clearest sentence); ``text_norm`` is the text alone.
Spam and ads are not opinions: a review flagged ``spam`` gets a neutral sentiment with score
0 and no aspects, so "代购正品超好 加微信" counts neither as praise nor as a complaint in the
sentiment figures and alerts (views can leave such reviews out entirely by the flag).
Enriching again gives the same result. The model runs once per call for all reviews and once
for all their topical clauses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from models.config import EntityConfig, KoubeiConfig
from models.review import Review, Sentiment
from nlp.aspects import aspects_of
from nlp.entities import EntityMatcher
from nlp.flags import CRISIS_PREFIX, SPAM_FLAG, Flagger
from nlp.keywords import keywords
from nlp.normalize import normalize
from nlp.segment import Segmenter, default_segmenter
from nlp.sentiment import SentimentModel
from nlp.topics import Taxonomy, default_taxonomy

_SCRIPT_RANK = {"zh-Hant": 2, "zh-Hans": 1, "other": 0}
_RANKS_PER_TAXONOMY = 10_000


@dataclass
class Analysis:
    text_norm: str
    script: str
    tokens: list[str]          # search tokens
    entities: list[str]        # mentioned in the text
    topics: list[str]
    keywords: list[str]
    flags: list[str]
    sentiment: Sentiment | None = None
    aspects: list[tuple[str, str]] = field(default_factory=list)


class Enricher:
    """Normalise → segment → sentiment → topics/aspects → keywords → entities and flags.
    ``model`` defaults to the shipped artifact, loaded on first use."""

    def __init__(self, entities: Sequence[EntityConfig] = (), model: SentimentModel | None = None,
                 crisis_terms: Sequence[str] | None = None):
        self.entities = tuple(entities)
        words = [w for e in self.entities for w in (*e.keywords, *e.aliases)]
        self.segmenter = Segmenter(words) if words else default_segmenter()
        self.matcher = EntityMatcher(self.entities)
        self.flagger = Flagger(crisis_terms)
        self.taxonomy = default_taxonomy()
        self.entity_taxonomies = {e.id: Taxonomy(e.topics) for e in self.entities if e.topics}
        self.replacing = frozenset(e.id for e in self.entities if e.topics_replace)
        self._model = model

    @classmethod
    def from_config(cls, config: KoubeiConfig) -> "Enricher":
        return cls(entities=config.entities)

    @property
    def model(self) -> SentimentModel:
        if self._model is None:
            self._model = SentimentModel.load()
        return self._model

    def _topic_matches(self, text: str, words: Sequence[str], starts: Sequence[int],
                       entities: Sequence[str]) -> list[tuple[int, int, str]]:
        """Keyword matches of the default taxonomy (unless one of ``entities`` replaces it),
        then of the entities' own taxonomies (ranked after it, so their new topics come last)."""
        replaced = bool(self.replacing) and not self.replacing.isdisjoint(entities)
        found = [] if replaced else self.taxonomy.matches(text, words, starts)
        for k, entity in enumerate(e for e in entities if e in self.entity_taxonomies):
            offset = (k + 1) * _RANKS_PER_TAXONOMY
            found += [(position, offset + rank, topic) for position, rank, topic
                      in self.entity_taxonomies[entity].matches(text, words, starts)]
        return found

    def analyse(self, texts: Sequence[str], titles: Sequence[str | None] = (),
                entities: Sequence[Sequence[str]] = ()) -> list[Analysis]:
        """Analyse raw ``texts`` (with optional ``titles`` and known ``entities`` per text)."""
        results, analysed, matches = [], [], []
        for i, raw in enumerate(texts):
            title = titles[i] if i < len(titles) else None
            known = list(entities[i]) if i < len(entities) else []
            norm = normalize(raw or "")
            text, script = norm.text, norm.script
            if title:
                heading = normalize(title)
                if heading.text and heading.text not in text:
                    text = f"{heading.text}。{text}" if text else heading.text
                script = max(script, heading.script, key=_SCRIPT_RANK.__getitem__)
            words, starts = self.segmenter.segment_with_starts(text)
            mentioned = self.matcher.match(text)
            about = list(dict.fromkeys(known + mentioned))
            found = self._topic_matches(text, words, starts, about)
            ranked = sorted({(rank, topic) for _, rank, topic in found})
            topics = list(dict.fromkeys(topic for _, topic in ranked))
            flags = self.flagger.flags(f"{title or ''} {raw or ''}", text)
            results.append(Analysis(norm.text, script, self.segmenter.search_tokens(words),
                                    mentioned, topics, keywords(words), flags))
            analysed.append(text)
            matches.append(found)
        for result, sentiment in zip(results, self.model.predict(analysed)):
            result.sentiment = sentiment
        for result, pairs in zip(results, aspects_of(analysed, matches, self.model.predict)):
            result.aspects = pairs
        for result in results:
            if SPAM_FLAG in result.flags:
                result.sentiment = Sentiment("neutral", 0.0, self.model.version)
                result.aspects = []
        return results

    def enrich(self, reviews: list[Review]) -> list[Review]:
        """Fill in the analysis fields of ``reviews`` in place and return them."""
        analyses = self.analyse([r.text for r in reviews], [r.title for r in reviews],
                                [r.entities for r in reviews])
        for review, a in zip(reviews, analyses):
            review.text_norm, review.script, review.tokens = a.text_norm, a.script, a.tokens
            review.sentiment, review.topics, review.aspects = a.sentiment, a.topics, a.aspects
            review.keywords = a.keywords
            review.entities = list(dict.fromkeys([*review.entities, *a.entities]))
            kept = [f for f in review.flags if f != SPAM_FLAG and not f.startswith(CRISIS_PREFIX)]
            review.flags = kept + a.flags
        return reviews

    def analyze(self, text: str) -> dict:
        """One text's analysis as a JSON-ready dict (what ``koubei analyze`` prints)."""
        return analysis_dict(self.analyse([text])[0])


def analysis_dict(a: Analysis) -> dict:
    """sentiment {label, score, model}, topics, keywords, script, entities, aspects, flags."""
    s = a.sentiment
    return {"sentiment": {"label": s.label, "score": s.score, "model": s.model},
            "topics": a.topics, "keywords": a.keywords, "script": a.script,
            "entities": a.entities, "aspects": [list(p) for p in a.aspects], "flags": a.flags}
