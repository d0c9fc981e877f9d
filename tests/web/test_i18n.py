"""The message catalogue and language selection."""
from __future__ import annotations

import re
from pathlib import Path

import web
from models.loader import parse_config
from models.runtime import DEMO_CONFIG, Runtime
from web.app import create_app
from web.messages import EN, ZH_CN
from web.runtime import PLUGINS

PACKAGE = Path(web.__file__).parent
KEY_IN_TEMPLATE = re.compile(r"""_\(\s*["']([a-z0-9_.\-]+)["'](?!\s*~)""", re.I)
KEY_PREFIX_IN_TEMPLATE = re.compile(r"""_\(\s*["']([a-z0-9_.\-]+)["']\s*~""", re.I)
KEY_IN_CODE = re.compile(r"""gettext\(\s*f?["']([a-z0-9_.\-{}]+)["']""", re.I)


def test_both_catalogues_have_the_same_keys():
    assert set(ZH_CN) == set(EN)
    for key in ZH_CN:
        assert set(re.findall(r"{(\w+)}", ZH_CN[key])) == set(re.findall(r"{(\w+)}", EN[key])), key


def test_every_key_used_exists():
    used, prefixes = set(), set()
    for template in (PACKAGE / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        used |= set(KEY_IN_TEMPLATE.findall(text))
        prefixes |= set(KEY_PREFIX_IN_TEMPLATE.findall(text))
    for module in PACKAGE.rglob("*.py"):
        for key in KEY_IN_CODE.findall(module.read_text(encoding="utf-8")):
            if "{" in key:
                prefixes.add(key.split("{")[0])
            else:
                used.add(key)
    assert used, "the key scan found nothing: the pattern is wrong"
    assert used - set(ZH_CN) == set()
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in ZH_CN), prefix


def test_config_language_is_the_default(home):
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("language: zh-CN", "language: en")
    runtime = Runtime(parse_config(text, PLUGINS, "en.yaml"), DEMO_CONFIG, home)
    client = create_app(runtime, {"TESTING": True}).test_client()
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in body and "Sign in" in body
    assert '<html lang="zh-CN">' in client.get("/login?lang=zh-CN").get_data(as_text=True)
    runtime.close()


def test_language_cookie_and_switch_links(client):
    response = client.get("/incidents?status=open&lang=en")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("koubei_lang=en") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    body = response.get_data(as_text=True)
    assert 'href="/incidents?status=open&amp;lang=zh-CN"' in body
    # an unknown language is ignored, not an error
    response = client.get("/incidents?lang=fr")
    assert response.status_code == 200 and '<html lang="en">' in response.get_data(as_text=True)


def test_error_pages_are_translated(client):
    assert "页面不存在" in client.get("/nowhere").get_data(as_text=True)
    assert "Page not found" in client.get("/nowhere?lang=en").get_data(as_text=True)


def test_every_rule_field_has_a_label_in_both_languages():
    from web.rule_form import rule_models
    fields = {key for model in rule_models().values() for key in model.model_fields} - {"name", "type"}
    assert "window" in fields and "entities" in fields
    assert {f"rules.field.{key}" for key in fields} - set(ZH_CN) == set()


def test_every_label_family_is_complete():
    from models.review import SENTIMENT_LABELS
    from web.reads import INCIDENT_STATUSES
    from web.trend_series import INTERVALS, RANGES
    events = ("opened", "fired", "notified", "notify_failed", "acknowledged", "assigned",
              "comment", "resolved", "auto_resolved", "reopened", "false_alarm", "silenced",
              "queued", "escalated", "joined")  # IncidentEvent kinds written by alerting
    wanted = ([f"sentiment.{s}" for s in (*SENTIMENT_LABELS, "unknown")]
              + [f"incident.status.{s}" for s in INCIDENT_STATUSES]
              + [f"incident.event.{e}" for e in events]
              + [f"trends.range.{r}" for r in RANGES] + [f"trends.interval.{i}" for i in INTERVALS])
    assert [key for key in wanted if key not in ZH_CN] == []


def test_punctuation_between_labels_follows_the_language(client):
    """Full-width ：（） in Chinese, ": " and " (…)" in English — never Chinese punctuation
    inside an English page's labels."""
    zh = client.get("/trends").get_data(as_text=True)
    assert "舆情简报：下载 PDF" in zh and "（管理员）" in zh
    en = client.get("/trends?lang=en").get_data(as_text=True)
    assert "Briefings: Download PDF" in en and " (Admin)" in en
    assert "Briefings：" not in en and "（Admin）" not in en
