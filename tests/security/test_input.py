"""Bad input gets a clear error naming where it came from, never a traceback or a 500, and
the good data around it is kept (audit finding 5 and the input items of the Low list)."""
from __future__ import annotations

import base64
import io
import socket
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from alerting.respond.channels import DingTalkChannel, FeishuChannel, WeComChannel
from alerting.respond.channels.dingtalk import DingTalkConfig
from alerting.respond.channels.email_message import html_body
from alerting.respond.channels.feishu import FeishuConfig
from alerting.respond.channels.wecom import WeComConfig
from crawlers.importers import import_file
from models.store import ReviewQuery
from tests.alerting.test_channels_chat import notice
from tests.factories import make_review
from tests.security.conftest import csrf_of
from web.cli import main


def test_a_second_run_on_a_busy_port_says_so_without_a_traceback(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["run", "--home", str(home), "--host", "127.0.0.1",
                                           "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OSError)


def test_a_weekly_report_into_a_missing_directory_says_so(home, tmp_path):
    result = CliRunner().invoke(main, ["report", "weekly", "--home", str(home),
                                       "--out", str(tmp_path / "missing" / "x.xlsx")])
    assert result.exit_code == 2, result.output
    assert "no directory" in result.output and "missing" in result.output
    assert not isinstance(result.exception, OSError)


LONE = "\ud800"


def test_a_lone_surrogate_in_a_json_comment_is_cleaned_and_the_incident_stays_readable(
        client, add_incident):
    incident_id = add_incident()
    body = '{"action": "comment", "text": "\\ud800 坏字符"}'  # JSON may spell it; UTF-8 cannot
    response = client.post(f"/api/incidents/{incident_id}/actions", data=body,
                           content_type="application/json",
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 200
    for url in (f"/incidents/{incident_id}", f"/api/incidents/{incident_id}"):
        page = client.get(url)
        assert page.status_code == 200 and "\ufffd 坏字符" in page.get_data(as_text=True)


def test_a_lone_surrogate_stored_before_is_shown_replaced_not_a_500(client, add_incident):
    incident_id = add_incident(events=(("opened", {}), ("comment", {"text": f"旧评论{LONE}"})),
                               explanation={"summary": f"摘要{LONE}"})
    for url in (f"/incidents/{incident_id}", f"/api/incidents/{incident_id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "旧评论\ufffd" in body and "摘要\ufffd" in body, url


def test_a_lone_surrogate_in_an_import_row_keeps_every_row(runtime, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join([
        '{"text": "云雀很好", "time": "2026-11-01 10:00:00"}',
        '{"text": "坏\\ud800字", "author": "a\\udc00", "time": "2026-11-01 10:01:00"}',
        '{"text": "发热严重", "time": "2026-11-01 10:02:00"}']), encoding="utf-8")
    report = import_file(runtime, path, "export")
    assert (report.rows, report.new, report.bad) == (3, 3, [])
    texts = sorted(r.text for r in runtime.store.iter_reviews(ReviewQuery(sources=("export",))))
    assert texts == sorted(["云雀很好", "坏\ufffd字", "发热严重"])


def _workbook(tmp_path, edit) -> object:
    """A seven-row XLSX export whose sheet XML ``edit`` rewrites, as other tools write them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["评论", "时间"])
    for i in range(7):
        sheet.append([f"第{i}条评论", f"2026-11-01 10:0{i}:00"])
    written = io.BytesIO()
    workbook.save(written)
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(item, data)
    return path


def _imported(runtime) -> list[str]:
    return sorted(r.text for r in runtime.store.iter_reviews(ReviewQuery(sources=("xlsx",))))


def test_an_xlsx_with_a_stale_dimension_imports_every_row(runtime, tmp_path):
    path = _workbook(tmp_path, lambda xml: xml.replace('<dimension ref="A1:B8"/>',
                                                       '<dimension ref="A1:B3"/>'))
    report = import_file(runtime, path, "xlsx")
    assert (report.rows, report.new, report.bad) == (7, 7, [])
    assert _imported(runtime) == sorted(f"第{i}条评论" for i in range(7))


def test_a_truncated_xlsx_sheet_keeps_the_rows_before_the_break_and_says_where(runtime,
                                                                              tmp_path):
    path = _workbook(tmp_path, lambda xml: xml[:xml.index('<row r="6">') + 40])
    report = import_file(runtime, path, "xlsx")
    assert _imported(runtime) == sorted(f"第{i}条评论" for i in range(4))  # rows 2-5
    [bad] = report.bad
    assert bad.line == 6 and "sheet breaks off" in bad.reason
    assert str(bad).startswith(f"{path}:6: ")


@pytest.mark.parametrize("url", ["/?until=9999-12-31", "/?since=0001-01-01",
                                 "/trends?until=9999-12-31", "/api/reviews?until=9999-12-31",
                                 "/api/reviews?since=0001-01-01", "/api/feed?until=9999-12-31",
                                 "/api/trends?until=0001-01-01",
                                 "/api/trends?until=9999-12-31T23:59:59-12:00"])
def test_times_out_of_range_are_a_400_naming_the_parameter(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    if url.startswith("/api/"):
        assert response.get_json()["error"]["parameter"] in ("since", "until")


def test_ids_too_large_for_the_database_are_not_found(client):
    huge = "99999999999999999999999"
    headers = {"X-CSRF-Token": csrf_of(client, "/")}
    assert client.get(f"/api/incidents/{huge}").status_code == 404
    assert client.get(f"/incidents/{huge}").status_code == 404
    assert client.post(f"/api/incidents/{huge}/actions", json={"action": "acknowledge"},
                       headers=headers).status_code == 404
    assert client.post(f"/silences/{huge}/end", headers=headers).status_code == 404


OLD_STYLE = base64.urlsafe_b64encode(b'["search", {}, 5]').decode()


@pytest.mark.parametrize("url", [
    "/api/reviews?cursor=search.x.5", "/api/reviews?cursor=search.5.%7B%7D",
    "/api/reviews?cursor=search.1000000000000000000000000000000.0123456789abcdef01234567",
    f"/api/reviews?cursor={OLD_STYLE}",
    "/api/feed?cursor=feed.x", "/api/feed?cursor=feed.1000000000000000000000000000000",
    "/api/feed?cursor=feed.null", "/api/feed?cursor=search.1.0123456789abcdef01234567"])
def test_cursors_holding_values_of_the_wrong_kind_are_a_400(client, store, url):
    store.upsert([make_review()])
    response = client.get(url)
    assert response.status_code == 400, url
    assert response.get_json()["error"]["parameter"] == "cursor"


def test_deeply_nested_json_is_a_400(client, add_incident):
    incident_id = add_incident()
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(f"/api/incidents/{incident_id}/actions", data=body,
                           content_type="application/json",
                           headers={"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 400


def test_handler_notes_and_review_terms_cannot_inject_markup_into_chat_markdown():
    note = "已处理 [点此领奖](http://evil.example) <at id=all></at> <@all>"
    sent = notice("resolved", resolution="resolved", note=note,
                  explanation={"summary": "摘要", "terms": [{"term": "<font>"}]})
    for payload in (_wecom_text(sent), _dingtalk_text(sent), _feishu_text(sent)):
        assert "[点此领奖](http" not in payload and "<at" not in payload
        assert "<@all>" not in payload and "点此领奖" in payload


def _wecom_text(sent) -> str:
    config = WeComConfig(name="w", type="wecom", url="http://127.0.0.1:9/send?key=k")
    return WeComChannel(config).payload(sent)["markdown"]["content"]


def _dingtalk_text(sent) -> str:
    config = DingTalkConfig(name="d", type="dingtalk", url="http://127.0.0.1:9/send")
    return DingTalkChannel(config).payload(sent)["actionCard"]["text"]


def _feishu_text(sent) -> str:
    config = FeishuConfig(name="f", type="feishu", url="http://127.0.0.1:9/hook/x")
    return FeishuChannel(config).payload(sent)["card"]["elements"][0]["text"]["content"]


def test_only_http_review_links_become_links_in_alert_mail():
    sent = notice(explanation={"summary": "摘要", "reviews": [
        {"id": "1", "text": "差评一", "url": "javascript:alert(document.cookie)"},
        {"id": "2", "text": "差评二", "url": " JAVASCRIPT:alert(1)"},
        {"id": "3", "text": "差评三", "url": "data:text/html,<script>alert(1)</script>"},
        {"id": "4", "text": "差评四", "url": "https://example.com/r/4"}]})
    html = html_body(sent)
    assert html.count("<a href=") == 3  # the incident, acknowledge, and review 4
    assert 'href="https://example.com/r/4"' in html
    assert "javascript" not in html.lower() and "data:text" not in html
