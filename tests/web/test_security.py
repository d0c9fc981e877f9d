"""Security headers and the absence of inline script and external assets."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import web

TEMPLATES = Path(web.__file__).parent / "templates"


@pytest.mark.parametrize("url", ["/", "/trends", "/incidents", "/api/reviews", "/healthz",
                                 "/api/openapi.json", "/static/koubei.css", "/missing",
                                 "/api/reviews?limit=0"])
def test_security_headers_everywhere(client, url):
    headers = client.get(url).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    directives = headers["Content-Security-Policy"].split(";")
    policy = dict(part.strip().split(" ", 1) for part in directives)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_templates_have_no_inline_script_style_or_external_assets():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert 'src="' in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+=", text), template.name  # no inline event handlers
        assert " style=" not in text and "<style" not in text, template.name
        assert not re.search(r'(src|href)="(https?:)?//', text), template.name


def test_pages_load_only_own_static_files(client, store):
    from tests.factories import make_review
    store.upsert([make_review()])
    for url in ("/", "/trends", "/incidents"):
        body = client.get(url).get_data(as_text=True)
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
            response = client.get(asset)
            assert response.status_code == 200, asset
            response.close()
