"""The analysis stage of the pipeline: fill in what ``nlp`` knows about each review.

``Enricher.enrich(reviews)`` sets, in place, ``text_norm``, ``script``, ``tokens`` (search
tokens), ``sentiment``, ``topics``, ``aspects``, ``keywords``, ``entities`` (the review's own
∪ those mentioned) and ``flags`` (crisis terms and spam; other flags such as ``duplicate``
are kept). A review's title, when it has one, is analysed together with its text (an App
Store title such as "差评" is often the clearest sentence); ``text_norm`` is the text alone.
A review flagged ``spam`` keeps the sentiment and aspects the model gave it: the flag is a
guess, and a complaint that mentions a contact ("客服让我加微信处理，结果一直不回") must
still count as a complaint; views and exports can leave flagged reviews out by the flag.
Enriching again gives the same result. The model runs once per call, for all reviews and all
their topical clauses together.
"""
from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from models.config import EntityConfig, KoubeiConfig
from models.review import Review, Sentiment
from nlp.aspects import aspect_pairs, topical_clauses
from nlp.entities import EntityMatcher
from nlp.flags import CRISIS_PREFIX, SPAM_FLAG, Flagger
from nlp.keywords import keywords_many
from nlp.normalize import normalize_many
from nlp.segment import Segmenter, default_segmenter, starts_of, words_of
from nlp.sentiment import SentimentModel
from nlp.topics import Taxonomy, default_taxonomy, industry_taxonomy

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
        # An entity with an industry: its reviews get that industry's taxonomy in place of
        # the default one (a review about several such entities: the first one's).
        self.industries = {e.id: industry_taxonomy(e.industry) for e in self.entities
                           if e.industry not in (None, "general")}
        self._model = model

    @classmethod
    def from_config(cls, config: KoubeiConfig) -> "Enricher":
        return cls(entities=config.entities)

    @property
    def model(self) -> SentimentModel:
        if self._model is None:
            self._model = SentimentModel.load()
        return self._model

    def _topic_matches(self, text: str, tokens: list[str], entities: Sequence[str],
                       found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """``found`` (the default taxonomy's keyword matches in ``text``, cut into ``tokens``;
        none when one of ``entities`` replaces the default taxonomy), then the matches of the
        entities' own taxonomies (ranked after it, so their new topics come last)."""
        if self.replacing and not self.replacing.isdisjoint(entities):
            found = []
        for k, entity in enumerate(e for e in entities if e in self.entity_taxonomies):
            offset = (k + 1) * _RANKS_PER_TAXONOMY
            taxonomy = self.entity_taxonomies[entity]
            found += [(position, offset + rank, topic) for position, rank, topic
                      in taxonomy.matches(text, (), starts_of(tokens, text))]
        return found

    def analyse(self, texts: Sequence[str], titles: Sequence[str | None] = (),
                entities: Sequence[Sequence[str]] = (),
                ratings: Sequence[float | None] = ()) -> list[Analysis]:
        """Analyse raw ``texts`` (with optional ``titles``, known ``entities`` and star
        ``ratings`` per text). Each stage runs over the whole batch (``normalize_many``,
        ``cut_many``...), and the model scores the texts and their topical clauses in one
        call."""
        with _cycle_collection_paused():
            return self._analyse(texts, titles, entities, ratings)

    def _analyse(self, texts: Sequence[str], titles: Sequence[str | None],
                 entities: Sequence[Sequence[str]],
                 ratings: Sequence[float | None] = ()) -> list[Analysis]:
        titles = [titles[i] if i < len(titles) else None for i in range(len(texts))]
        norms = normalize_many(texts)
        headings = iter(normalize_many([title for title in titles if title]))
        analysed, scripts = [], []
        for norm, title in zip(norms, titles):
            text, script = norm.text, norm.script
            if title:
                heading = next(headings)
                if heading.text and heading.text not in text:
                    text = f"{heading.text}。{text}" if text else heading.text
                script = max(script, heading.script, key=_SCRIPT_RANK.__getitem__)
            analysed.append(text)
            scripts.append(script)
        cut = self.segmenter.cut_many(analysed)
        words = [words_of(tokens, text) for tokens, text in zip(cut, analysed)]
        # Token positions matter only where a one-character topic keyword is found.
        default_matches = self.taxonomy.matches_many(
            analysed, lambda i: starts_of(cut[i], analysed[i]))
        flags_of = self.flagger.flags_many(
            [f"{title or ''} {raw or ''}" for title, raw in zip(titles, texts)], analysed)
        results, matches = [], []
        for i, text in enumerate(analysed):
            mentioned = self.matcher.match(text) if self.entities else []
            found = default_matches[i]
            if self.entity_taxonomies or self.industries:
                known = list(entities[i]) if i < len(entities) else []
                about = list(dict.fromkeys(known + mentioned))
                industry = next((self.industries[e] for e in about if e in self.industries),
                                None)
                if industry is not None:
                    found = industry.matches(text, (), starts_of(cut[i], text))
                found = self._topic_matches(text, cut[i], about, found)
            # A rank stands for one topic: the topics in rank order, each once.
            ranks = {rank: topic for _, rank, topic in found}
            topics = list(dict.fromkeys(ranks[rank] for rank in sorted(ranks)))
            results.append(Analysis(norms[i].text, scripts[i], [], mentioned, topics, [],
                                    flags_of[i]))
            matches.append(found)
        for result, tokens in zip(results, self.segmenter.search_tokens_many(words)):
            result.tokens = tokens
        for result, terms in zip(results, keywords_many(words)):
            result.keywords = terms
        clauses = topical_clauses(analysed, matches)
        stars = [ratings[i] if i < len(ratings) else None for i in range(len(analysed))]
        judged = self.model.judge(analysed + [clause for _, _, clause in clauses],
                                  stars + [None] * len(clauses) if any(
                                      r is not None for r in stars) else None,
                                  clauses=len(clauses))
        clause_labels = [label for label, _ in judged[len(analysed):]]
        aspects = aspect_pairs(len(analysed), clauses, clause_labels)
        version = self.model.version
        for result, (label, score), pairs in zip(results, judged, aspects):
            result.sentiment, result.aspects = Sentiment(label, score, version), pairs
        return results

    def enrich(self, reviews: list[Review]) -> list[Review]:
        """Fill in the analysis fields of ``reviews`` in place and return them."""
        with _cycle_collection_paused():
            analyses = self._analyse([r.text for r in reviews], [r.title for r in reviews],
                                     [r.entities for r in reviews], [r.rating for r in reviews])
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


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch. A batch allocates tens of
    thousands of short-lived lists and tuples without reference cycles, which reference
    counting frees; collecting in the middle of it only moves them to older generations and
    brings on full collections over the whole heap (the ~200,000 objects of scikit-learn,
    SciPy...), ~15% of the enrichment's time. Collection resumes, and catches up, when the
    batch is done; a caller that paused it already keeps it paused."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def analysis_dict(a: Analysis) -> dict:
    """sentiment {label, score, model}, topics, keywords, script, entities, aspects, flags."""
    s = a.sentiment
    return {"sentiment": {"label": s.label, "score": s.score, "model": s.model},
            "topics": a.topics, "keywords": a.keywords, "script": a.script,
            "entities": a.entities, "aspects": [list(p) for p in a.aspects], "flags": a.flags}
