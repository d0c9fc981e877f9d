"""Chinese text analysis for Koubei: normalise → segment → sentiment → topics/aspects →
keywords → entities and flags, brought together by ``nlp.enrich.Enricher``.

Modules are imported on demand: jieba's dictionary and the sentiment artifact load lazily,
once per process, the first time something needs them.
"""
