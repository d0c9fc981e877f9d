"""The OpenAPI description covers exactly the app's API routes."""
from __future__ import annotations

import re

from werkzeug.routing import Rule


def openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)


def api_rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith("/api/") or r.rule == "/healthz"]


def test_every_api_route_is_described_and_nothing_else(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    routes = {openapi_path(r): r for r in api_rules(app)}
    assert len(routes) >= 8
    assert set(spec["paths"]) == set(routes)
    for path, rule in routes.items():
        described = spec["paths"][path]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in described, (path, method)
            operation = described[method.lower()]
            assert any(code.startswith("2") for code in operation["responses"]), path
            declared = {p["name"] for p in operation.get("parameters", []) if "name" in p}
            for argument in rule.arguments:
                assert argument in declared, (path, argument)


def test_referenced_components_exist(client):
    spec = client.get("/api/openapi.json").get_json()
    text = str(spec)
    for kind, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in spec["components"][kind], (kind, name)


def test_query_parameters_used_by_the_api_are_described(client):
    spec = client.get("/api/openapi.json").get_json()
    parameters = spec["components"]["parameters"]
    names = {p["name"] for p in parameters.values()}
    assert {"source", "entity", "sentiment", "q", "since", "until", "limit", "cursor"} <= names
    trends = {p.get("name") for p in spec["paths"]["/api/trends"]["get"]["parameters"]}
    assert {"range", "interval", "group_by", "until"} <= trends
