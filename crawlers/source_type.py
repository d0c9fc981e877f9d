"""``SourceType``: what the source registry (``crawlers.spiders.SOURCE_TYPES``) holds, a class
that collects one type of source and carries its config model in ``config_model`` (whose
``type`` is a ``Literal`` of the name written in the config). Spiders (``PagedReviewSpider``
and its subclasses) are crawled by ``crawlers.runner``; ``FileImport`` is imported instead."""
from __future__ import annotations

from typing import ClassVar

from models.config import SourceBase


class SourceType:
    config_model: ClassVar[type[SourceBase]]
