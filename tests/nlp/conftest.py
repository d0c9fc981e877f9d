"""Fixtures for the nlp tests: the shipped model and an enricher on the demo config, built
once per session because loading jieba's dictionary and the artifact takes a second or two."""
from __future__ import annotations

import pytest

from models.loader import parse_config
from models.runtime import DEMO_CONFIG
from web.runtime import PLUGINS


@pytest.fixture(scope="session")
def demo_config():
    return parse_config(DEMO_CONFIG.read_text(encoding="utf-8"), PLUGINS, str(DEMO_CONFIG))


@pytest.fixture(scope="session")
def model():
    from nlp.sentiment import SentimentModel
    return SentimentModel.load()


@pytest.fixture(scope="session")
def enricher(demo_config, model):
    from nlp.enrich import Enricher
    return Enricher.from_config(demo_config)
