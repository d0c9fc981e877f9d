"""The rule editor and the audit log: the config file written back with comments and order
kept and checked as ``koubei config check`` does (with a backup, refusing a stale edit), the
form round trip, the backtest preview (current against edited, per week, the reviews behind
each incident), saving without a restart, brand scope for analysts, and the audit entries."""
from __future__ import annotations

import re
import shutil
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner

from alerting.detect.tick import run_detection
from models import audit
from models.config_file import BACKUPS, BundledConfig, ConfigError, ConfigFile, StaleConfig
from models.review import utcnow
from models.runtime import DEMO_CONFIG
from tests.alerting.conftest import add_burst, add_series
from tests.web.conftest import PASSWORD, csrf_of, log_in
from tests.web.test_browser import browser  # noqa: F401 (a fixture)
from web.app import create_app
from web.cli import main
from web.rule_form import form_fields, from_form, rule_models
from web.runtime import PLUGINS, open_runtime
from web.security import accounts

COMMENTED = "    min_count: 50                # 先调高：演示时不误报\n"


@pytest.fixture
def editable(tmp_path):
    """A runtime on a copy of the demo config (the editor writes the file) whose rule is set
    too high to fire, and a burst of complaints three days ago."""
    home = tmp_path / "home"
    home.mkdir()
    path = home / "koubei.yaml"
    shutil.copy(DEMO_CONFIG, path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    min_count: 5\n", COMMENTED, 1), encoding="utf-8")
    rt = open_runtime(path, home)
    burst_end = utcnow() - timedelta(days=3)
    add_burst(rt.store, 12, end=burst_end)
    rt.burst_end = burst_end
    yield rt
    rt.close()


def test_file_written_back_keeps_comments_and_order_and_passes_config_check(editable):
    path = editable.config_path
    before = path.read_text(encoding="utf-8")
    file = ConfigFile(path, PLUGINS)
    rule = file.rule("negative-spike")
    assert rule["min_count"] == 50 and rule["window"] == "3m"
    text = file.with_rule("negative-spike", {**rule, "min_count": 5, "min_ratio": 3})
    changed = [(a, b) for a, b in zip(before.splitlines(), text.splitlines()) if a != b]
    assert changed == [(COMMENTED.rstrip("\n"), "    min_count: 5                 # 先调高：演示时不误报"),
                       ("    min_ratio: 2", "    min_ratio: 3")]
    backup = file.save(text, file.version, editable.home / BACKUPS)
    assert backup.read_text(encoding="utf-8") == before
    checked = CliRunner().invoke(main, ["config", "check", str(path)])
    assert checked.exit_code == 0 and "ok" in checked.output
    # an invalid edit is refused with the config check's wording; nothing is written
    again = ConfigFile(path, PLUGINS)
    with pytest.raises(ConfigError) as caught:
        again.save(again.with_rule("negative-spike", {**rule, "window": "10x"}), again.version,
                   editable.home / BACKUPS)
    assert f"{path}: rules[0].window: expected a duration such as 30s" in str(caught.value)
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(StaleConfig, match="changed since it was read"):
        again.save(text, "0" * 16, editable.home / BACKUPS)
    bundled = ConfigFile(DEMO_CONFIG, PLUGINS)
    with pytest.raises(BundledConfig, match="copy it to"):
        bundled.save(bundled.text, bundled.version, editable.home / BACKUPS)


def test_form_round_trip_writes_only_what_changed():
    model = rule_models()["negative_spike"]
    original = {"name": "s", "type": "negative_spike", "window": "3m", "min_count": 5,
                "channels": ["hook"]}
    fields = {f.key: f for f in form_fields(model, original)}
    assert fields["window"].value == "3m" and fields["baseline"].value == "7d"
    assert fields["channels"].kind == "list" and fields["seasonal"].kind == "bool"
    assert fields["group_by"].choices[0] == ""
    form = {f.key: f.value for f in fields.values() if f.kind != "bool"}
    form.update({f.key: "on" for f in fields.values() if f.kind == "bool" and f.value})
    assert from_form(model, "s", "negative_spike", form, original) == original
    form["min_ratio"], form["group_by"] = "3.5", "topic"
    assert from_form(model, "s", "negative_spike", form, original) == {
        **original, "min_ratio": 3.5, "group_by": "topic"}
    assert set(rule_models()) >= {"negative_spike", "crisis_keyword", "rating_drop"}


def _client(rt, username, role, entities=("*",)):
    app = create_app(rt, {"TESTING": True})
    accounts.add_user(rt.state, username, role, list(entities), PASSWORD, actor="setup")
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def _form(client, **changes):
    page = client.get("/admin/rules/negative-spike").get_data(as_text=True)
    values = dict(re.findall(r'<input name="([a-z_]+)" id="field-[a-z_]+" value="([^"]*)"', page))
    values.update({m: "on" for m in re.findall(r'name="([a-z_]+)" id="field-[a-z_]+" checked',
                                               page)})
    values.update(dict(re.findall(r'<select name="([a-z_]+)" id="field-[a-z_]+">.*?'
                                  r'<option value="([^"]*)" selected', page)))
    version = re.search(r'name="version" value="([^"]+)"', page)[1]
    return {**values, "type": "negative_spike", "weeks": "1", "version": version,
            "csrf_token": csrf_of(client, "/admin/rules/negative-spike"), **changes}


def test_preview_compares_versions_and_save_takes_effect_with_an_audit_entry(editable):
    admin = _client(editable, "root", "admin")
    preview = admin.post("/admin/rules/negative-spike/preview", data=_form(admin, min_count="5"))
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    current = re.search(r'class="counts-current">.*?</tr>', html, re.S)[0]
    assert re.findall(r"<td>(\d+)</td>", current)[-1] == "0"  # 50 never fires
    assert int(re.search(r'id="edited-total">(\d+)<', html)[1]) >= 1
    assert "屏幕发热严重，烫手[怒]" in html  # the reviews behind the incident
    assert 'value="5"' in html  # the form keeps the edit
    assert "每 3m 回放一次检测" in html and 'id="coarse-preview"' not in html
    coarse = admin.post("/admin/rules/negative-spike/preview",
                        data=_form(admin, min_count="5", weeks="8"))
    assert 'id="coarse-preview"' in coarse.get_data(as_text=True)
    assert "min_count: 50" in editable.config_path.read_text(encoding="utf-8")  # not saved yet

    saved = admin.post("/admin/rules/negative-spike/save", data=_form(admin, min_count="5"))
    assert saved.status_code == 302
    text = editable.config_path.read_text(encoding="utf-8")
    assert "    min_count: 5                 # 先调高：演示时不误报" in text
    assert len(list((editable.home / BACKUPS).iterdir())) == 1
    # the next detection tick (a fresh runtime from the file, as the scheduler's job) fires
    tick = open_runtime(editable.config_path, editable.home)
    try:
        report = run_detection(tick, now=editable.burst_end + timedelta(seconds=30))
    finally:
        tick.close()
    assert [f.rule for f in report.firings] == ["negative-spike"]
    [entry] = audit.entries(editable.state, "rule")
    assert (entry.actor, entry.target, entry.action) == ("root", "negative-spike", "updated")
    assert entry.detail["changes"] == {"min_count": [50, 5]}
    log = admin.get("/admin/audit").get_data(as_text=True)
    assert "negative-spike" in log and "min_count" in log and "50 → 5" in log

    bad = admin.post("/admin/rules/negative-spike/save", data=_form(admin, window="10x"))
    assert bad.status_code == 200
    assert "rules[0].window: expected a duration such as 30s, 10m, 2h or 7d, got &#39;10x&#39;" \
        in bad.get_data(as_text=True)
    assert editable.config_path.read_text(encoding="utf-8") == text


def test_scope_roles_and_the_user_audit(editable):
    analyst = _client(editable, "li", "analyst", ["yunque"])
    assert analyst.get("/admin/rules/negative-spike").status_code == 404  # a rule for all
    assert analyst.get("/admin/audit").status_code == 403
    handler = _client(editable, "zhao", "handler")
    assert handler.get("/admin/rules").status_code == 403
    runner = CliRunner()
    args = ["--config", str(editable.config_path), "--home", str(editable.home)]
    assert runner.invoke(main, ["users", "disable", "zhao", *args]).exit_code == 0
    entries = audit.entries(editable.state, "user")
    assert [(e.target, e.action) for e in entries[:3]] == [
        ("zhao", "disabled"), ("zhao", "created"), ("li", "created")]
    assert entries[0].actor.startswith("cli")


def test_the_editor_shows_each_groups_threshold_and_a_group_too_small_for_its_budget(
        tmp_path):
    """A calibrated rule (only ``type: negative_spike``) groups by brand and product: the
    brand with a week of reviews has its own baseline; the product with two reviews borrows
    its brand's share and is shown as too small ever to reach the false-alarm budget, in
    Chinese and in English. An analyst of another brand sees neither row."""
    home = tmp_path / "home"
    home.mkdir()
    path = home / "koubei.yaml"
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    calibrated = text.replace("    window: 3m\n    baseline: 2d\n    min_count: 5\n"
                              "    p_value: 0.001\n    min_ratio: 2\n", "", 1)
    assert calibrated != text
    path.write_text(calibrated, encoding="utf-8")
    rt = open_runtime(path, home)
    try:
        now = utcnow()
        add_series(rt.store, now - timedelta(days=7), now, timedelta(hours=1),
                   label="negative", entities=["yunque"], text="云雀 一般般")
        add_series(rt.store, now - timedelta(days=7), now, timedelta(minutes=12),
                   label="positive", entities=["yunque"], text="云雀 挺好")
        # two reviews half a day off the present hour: a review in the present hour would
        # lift the product's seasonal expectation at some minutes of some hours to exactly
        # the threshold of min_count, and the test would depend on the clock
        add_series(rt.store, now - timedelta(days=2, hours=12), now - timedelta(hours=12),
                   timedelta(days=1), label="positive", entities=["yunque-x5"], text="X5 挺好")
        admin = _client(rt, "root", "admin")
        html = admin.get("/admin/rules/negative-spike").get_data(as_text=True)
        rows = dict(re.findall(r'data-group="([^"]*)">(.*?)</tr>', html, re.S))
        assert set(rows) == {"yunque", "yunque-x5"}
        assert "自有基线" in rows["yunque"] and "达不到误报预算" not in rows["yunque"]
        assert "借用品牌" not in rows["yunque-x5"]  # too small says more than borrowing
        assert "评论太少，达不到误报预算：任一窗口内至少 5 条负面才会报警" in rows["yunque-x5"]
        assert "按每组每周误报不超过 0.5 次校准" in html
        english = admin.get("/admin/rules/negative-spike?lang=en").get_data(as_text=True)
        assert "Too small to reach the false-alarm budget: fires only at 5 negatives" in english
        assert "Thresholds by group, now" in english

        other = _client(rt, "wang", "analyst", ["otherbrand"])
        assert other.get("/admin/rules/negative-spike").status_code == 404
    finally:
        rt.close()


def test_in_chromium_an_admin_previews_saves_and_the_next_tick_uses_the_rule(editable,
                                                                            browser):  # noqa: F811
    from waitress.server import create_server

    from tests.support import free_port
    from tests.web.test_browser import submit
    accounts.add_user(editable.state, "root", "admin", ["*"], PASSWORD)
    port = free_port()
    server = create_server(create_app(editable), host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        browser.get(f"{base}/login?next=/admin/rules")
        browser.find_element("id", "username").send_keys("root")
        browser.find_element("id", "password").send_keys(PASSWORD)
        submit(browser, browser.find_element("css selector",
                                             "form.stacked-form button[type=submit]"))
        submit(browser, browser.find_element("css selector", "a.edit-rule"))
        assert "negative-spike" in browser.find_element("tag name", "h1").text
        count = browser.find_element("id", "field-min_count")
        assert count.get_attribute("value") == "50"
        count.clear()
        count.send_keys("5")
        from selenium.webdriver.support.ui import Select
        Select(browser.find_element("name", "weeks")).select_by_value("1")
        submit(browser, browser.find_element("id", "rule-preview"))
        preview = browser.find_element("id", "preview")
        assert int(browser.find_element("id", "edited-total").text) >= 1
        assert "屏幕发热严重" in preview.text
        assert browser.find_element("id", "field-min_count").get_attribute("value") == "5"
        submit(browser, browser.find_element("id", "rule-save"))
        assert "已保存" in browser.find_element("css selector", ".flash").text
    finally:
        server.close()
    tick = open_runtime(editable.config_path, editable.home)
    try:
        report = run_detection(tick, now=editable.burst_end + timedelta(seconds=30))
    finally:
        tick.close()
    assert [f.rule for f in report.firings] == ["negative-spike"]
    assert report.changes and report.changes[0].action == "opened"
