"""Importing CSV and JSONL files into the real store: encodings, bad rows reported by line and
skipped, column mappings, the file source's settings, and odd text."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from crawlers.exceptions import ImportFileError
from crawlers.importers import import_file
from models.loader import parse_config
from models.review import review_id
from models.runtime import DEMO_CONFIG, Runtime
from models.store import ReviewQuery
from web.runtime import PLUGINS


def texts(runtime, source: str) -> list[str]:
    return [r.text for r in runtime.store.iter_reviews(ReviewQuery(sources=(source,)))]


def test_gb18030_csv_with_broken_rows_keeps_the_good_ones(runtime, tmp_path: Path):
    lines = ["评论,用户,评分,时间",
             "云雀X5拍照很清晰[赞],小鱼,5,2026-11-01 10:00:00",
             "这一行多了一列,阿杰,4,2026-11-01 10:05:00,多余",
             "更新后发热严重😡,夜猫,1,2026/11/01 10:10"]
    data = "\r\n".join(lines).encode("gb18030") + b"\r\n" + \
        "坏字节".encode("gb18030") + b"\x81\x20,someone,3,2026-11-01 10:20:00\r\n" + \
        "售后很快,老王,,2026年11月1日 10:30\r\n".encode("gb18030")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    report = import_file(runtime, path, "forum-export")
    assert report.encoding == "gb18030"
    assert [(b.line, b.reason) for b in report.bad] == [
        (3, "expected 4 columns, found 5"), (5, "cannot decode the line as gb18030")]
    assert str(report.bad[0]) == f"{path}:3: expected 4 columns, found 5"
    assert (report.rows, report.new) == (5, 3)
    stored = {r.text: r for r in runtime.store.iter_reviews(ReviewQuery(sources=("forum-export",)))}
    assert set(stored) == {"云雀X5拍照很清晰[赞]", "更新后发热严重😡", "售后很快"}
    first = stored["云雀X5拍照很清晰[赞]"]
    assert first.author == "小鱼" and first.rating == 5.0
    assert first.published_at == datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)  # Beijing time
    assert first.id == review_id("forum-export", None, "云雀X5拍照很清晰[赞]")
    assert stored["售后很快"].rating is None
    assert stored["更新后发热严重😡"].sentiment is not None


def test_utf8_bom_csv_with_ids_and_quoted_multiline_text(runtime, tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_text('id,content,nickname,score,time\n'
                    'a1,"第一行\n第二行",桃子,4,2026-11-01T08:00:00+08:00\n'
                    'a2,没有评分的评论,,,\n'
                    'a3,,空评论,3,2026-11-01 09:00:00\n', encoding="utf-8-sig")
    report = import_file(runtime, path, "crm")
    assert report.encoding == "utf-8-sig"
    assert [(b.line, b.reason.split(" (")[0]) for b in report.bad] == [(5, "no review text")]
    first = runtime.store.get(review_id("crm", "a1"))
    assert first.text == "第一行\n第二行" and first.author == "桃子"
    undated = runtime.store.get(review_id("crm", "a2"))
    assert undated.extra["published_at_estimated"] is True and undated.rating is None


def test_jsonl_bad_lines_are_reported_and_skipped(runtime, tmp_path: Path):
    path = tmp_path / "reviews.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "j1", "text": "物流很快👍", "rating": 5, "time": "2026-11-01 12:00:00"},
                   ensure_ascii=False),
        '{"id": "j2", "text": "少了括号"',
        "[1, 2, 3]",
        "",
        json.dumps({"id": "j3", "text": "时间写错了", "time": "昨天下午"}, ensure_ascii=False),
        json.dumps({"id": "j4", "text": "评分写错了", "rating": "十分"}, ensure_ascii=False),
        json.dumps({"id": "j5", "content": "用content字段也行", "score": "4星"}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    report = import_file(runtime, path, "app-export")
    reasons = {b.line: b.reason for b in report.bad}
    assert set(reasons) == {2, 3, 5, 6}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "expected a JSON object, found list"
    assert reasons[5] == "cannot read the time '昨天下午'"
    assert reasons[6] == "rating '十分' is not a number from 0 to 5"
    assert report.new == 2
    assert runtime.store.get(review_id("app-export", "j5")).rating == 4.0


def test_column_mapping_from_the_command_line(runtime, tmp_path: Path):
    path = tmp_path / "mapped.csv"
    path.write_text("编号,评论正文,打分,发布于\nm1,客服态度特别好,5,2026-11-01 10:00\n",
                    encoding="utf-8")
    with pytest.raises(ImportFileError, match="no review text column"):
        import_file(runtime, path, "mapped")
    report = import_file(runtime, path, "mapped", mapping={
        "text": "评论正文", "id": "编号", "rating": "打分", "published_at": "发布于"})
    assert report.new == 1 and not report.bad
    review = runtime.store.get(review_id("mapped", "m1"))
    assert review.rating == 5.0 and review.text == "客服态度特别好"
    with pytest.raises(ImportFileError, match="no column '不存在'"):
        import_file(runtime, path, "mapped", mapping={"text": "不存在"})
    with pytest.raises(ImportFileError, match="unknown review field"):
        import_file(runtime, path, "mapped", mapping={"body": "评论正文"})


@pytest.mark.parametrize("header,native_id", [
    ("工单号,评价内容,评分,评价时间,昵称", "T20261101-07"),
    ("订单号,内容,星级,时间,用户", "T20261101-07"),
])
def test_common_chinese_export_headers_need_no_mapping(runtime, tmp_path: Path, header,
                                                      native_id):
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n{native_id},充电器用三天就坏了,1星,2026-11-01 10:00,小王\n",
                    encoding="utf-8")
    report = import_file(runtime, path, "export")
    assert report.new == 1 and not report.bad
    review = runtime.store.get(review_id("export", native_id))
    assert (review.text, review.rating, review.author) == ("充电器用三天就坏了", 1.0, "小王")
    assert review.published_at == datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
    id_column, text_column, rating_column, time_column, author_column = header.split(",")
    assert report.column_summary() == (
        f"columns: {text_column}→text, {id_column}→id, {author_column}→author, "
        f"{rating_column}→rating, {time_column}→published_at")


def test_import_command_says_which_column_became_which_field(home: Path, tmp_path: Path,
                                                            monkeypatch):
    from click.testing import CliRunner

    from web.cli import main
    path = tmp_path / "export.csv"
    path.write_text("工单号,评价内容\nT1,物流太慢\n", encoding="utf-8")
    monkeypatch.delenv("KOUBEI_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["import", str(path), "--source", "cs", "--home",
                                       str(home)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "columns: 评价内容→text, 工单号→id",
        "rows=1 new=1 updated=0 unchanged=0 bad=0"]


def test_a_configured_file_source_brings_mapping_entities_and_timezone(home: Path, tmp_path: Path):
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["sources"].append({"name": "tw-forum", "type": "file", "entities": ["yunque-x5"],
                            "timezone": "Asia/Taipei", "mapping": {"text": "內容", "author": "作者"}})
    config = parse_config(yaml.safe_dump(data, allow_unicode=True), PLUGINS, "koubei.yaml")
    runtime = Runtime(config, tmp_path / "koubei.yaml", home)
    path = tmp_path / "tw.csv"
    path.write_text("內容,作者,時間\n雲雀X5更新後發熱[怒],阿明,2026-11-01 20:00\n", encoding="utf-8")
    try:
        import_file(runtime, path, "tw-forum", mapping={"published_at": "時間"})
        [review] = runtime.store.iter_reviews(ReviewQuery(sources=("tw-forum",)))
    finally:
        runtime.close()
    assert review.author == "阿明" and "yunque-x5" in review.entities
    assert review.published_at == datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def test_long_text_control_characters_and_html(runtime, tmp_path: Path):
    path = tmp_path / "odd.jsonl"
    rows = [{"id": "long", "text": "发热" * 50_000},
            {"id": "odd", "text": "<b>好用</b>\x00\x1b[31m<script>alert('x')</script>\x7f [赞]"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = import_file(runtime, path, "odd")
    assert report.new == 2
    long = runtime.store.get(review_id("odd", "long"))
    assert len(long.text) == 20_000 and long.extra["text_truncated_from"] == 100_000
    odd = runtime.store.get(review_id("odd", "odd"))
    assert odd.text == "<b>好用</b>[31m<script>alert('x')</script> [赞]"


def test_reimporting_updates_instead_of_duplicating(runtime, tmp_path: Path):
    path = tmp_path / "twice.csv"
    path.write_text("text,author\n第一条,甲\n第二条,乙\n", encoding="utf-8")
    assert import_file(runtime, path, "twice").new == 2
    again = import_file(runtime, path, "twice")
    assert (again.new, again.unchanged) == (0, 2)
    assert sorted(texts(runtime, "twice")) == ["第一条", "第二条"]


def test_empty_file_and_unknown_format(runtime, tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    report = import_file(runtime, empty, "x")
    assert report.ok and report.rows == 0
    with pytest.raises(ImportFileError, match="cannot tell the format"):
        import_file(runtime, tmp_path / "reviews.xml", "x")
    with pytest.raises(ImportFileError, match="cannot read"):
        import_file(runtime, tmp_path / "missing.csv", "x")
