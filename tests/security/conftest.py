"""Fixtures for the security tests: the web fixtures (``app``, ``client``, ``signed_in``...)
plus ``brands``, an instance with two brands — 云雀 (yunque, with its product yunque-x5) and
华美 (huamei) — a rule limited to 华美, and handlers scoped to each, as the audit set it up."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from flask import Flask

from alerting.detect.rules.negative_spike import NegativeSpikeConfig
from models.config import EntityConfig
from models.runtime import Runtime
from tests.crawlers.conftest import open_home  # noqa: F401  (a fixture, re-exported)
from tests.web.conftest import (  # noqa: F401
    PASSWORD,
    _cheap_password_hashes,
    add_incident,
    add_user,
    anonymous,
    app,
    client,
    csrf_of,
    log_in,
    signed_in,
    store,
)
from web.app import create_app
from web.runtime import wire
from web.security import accounts

HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])
HUAMEI_RULE = NegativeSpikeConfig(name="huamei-spike", type="negative_spike", entities=["huamei"])


@dataclass
class Brands:
    app: Flask
    runtime: Runtime
    client_for: Callable  # (username, role, entities) -> a signed-in test client


@pytest.fixture
def brands(runtime):
    config = runtime.config.model_copy(update={
        "entities": [*runtime.config.entities, HUAMEI],
        "rules": [*runtime.config.rules, HUAMEI_RULE]})
    rt = wire(Runtime(config, runtime.config_path, runtime.home))
    brand_app = create_app(rt, {"TESTING": True})

    def client_for(username: str, role: str = "handler", entities=("*",)):
        accounts.add_user(rt.state, username, role, list(entities), PASSWORD)
        signed = brand_app.test_client()
        assert log_in(signed, username).status_code == 302
        return signed
    yield Brands(brand_app, rt, client_for)
    rt.close()
