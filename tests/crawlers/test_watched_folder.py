"""A ``file`` source watching a folder of exports: each CSV/JSONL/XLSX file is imported once,
new files on the next run, a bad file reported by path without stopping the others."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from crawlers.checkpoints import load_checkpoint
from crawlers.importers.watched import import_source
from models.loader import parse_config
from models.review import review_id
from models.runtime import DEMO_CONFIG, Runtime
from models.store import ReviewQuery
from web.runtime import PLUGINS

SOURCE = "cs-exports"
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def folder_runtime(tmp_path: Path, home: Path):
    folder = tmp_path / "exports"
    folder.mkdir()
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["sources"] = [{"name": SOURCE, "type": "file", "path": str(folder),
                        "entities": ["yunque"], "mapping": {"text": "问题描述", "id": "工单号"}}]
    data["rules"] = []
    config_path = tmp_path / "koubei.yaml"
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    runtime = Runtime(parse_config(config_path.read_text(encoding="utf-8"), PLUGINS,
                                   str(config_path)),
                      config_path, home)
    yield runtime, folder
    runtime.close()


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def stored(runtime) -> dict[str, object]:
    return {r.native_id: r for r in runtime.store.iter_reviews(ReviewQuery(sources=(SOURCE,)))}


def test_each_file_is_imported_once_and_new_files_next_time(folder_runtime):
    runtime, folder = folder_runtime
    write_xlsx(folder / "2026-11-01.xlsx", [
        [], ["工单号", "问题描述", "评分", "时间", "用户"],
        [10001, "快递三天没到，客服不理人😡", 1, datetime(2026, 11, 1, 9, 30), "张**"],
        [10002, "安装师傅很专业[赞]", 5, datetime(2026, 11, 1, 11, 0), "李**"],
        [10003, "", 3, datetime(2026, 11, 1, 12, 0), "空白"]])
    (folder / "2026-11-01.csv").write_text(
        "工单号,问题描述,时间\n20001,退款到账了,2026-11-01 15:00:00\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not an export", encoding="utf-8")

    report = import_source(runtime, runtime.config.sources[0])
    assert report.ok and (report.new, report.dropped, report.pages) == (3, 1, 2)
    assert report.problems == [f"{folder / '2026-11-01.xlsx'}:5: no review text "
                               "(column '问题描述' is empty or missing)"]
    reviews = stored(runtime)
    assert sorted(reviews) == ["10001", "10002", "20001"]
    first = reviews["10001"]
    assert first.text == "快递三天没到，客服不理人😡" and first.rating == 1.0
    assert first.author == "张**" and "yunque" in first.entities
    assert first.published_at == datetime(2026, 11, 1, 9, 30, tzinfo=BEIJING)

    again = import_source(runtime, runtime.config.sources[0])
    assert again.ok and (again.new, again.unchanged, again.pages) == (0, 0, 0)

    (folder / "2026-11-02.jsonl").write_text(json.dumps(
        {"工单号": "30001", "问题描述": "师傅迟到两小时", "时间": "2026-11-02 08:00:00"},
        ensure_ascii=False) + "\n", encoding="utf-8")
    third = import_source(runtime, runtime.config.sources[0])
    assert third.ok and (third.new, third.pages) == (1, 1)
    assert runtime.store.get(review_id(SOURCE, "30001")).text == "师傅迟到两小时"
    assert len(stored(runtime)) == 4
    assert load_checkpoint(runtime.state, SOURCE).status == "ok"


def test_a_bad_file_is_reported_by_path_and_retried_while_the_others_import(folder_runtime):
    runtime, folder = folder_runtime
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "good.csv").write_text("工单号,问题描述\n1,电话一直占线\n", encoding="utf-8")
    report = import_source(runtime, runtime.config.sources[0])
    assert report.ok and report.new == 1 and report.errors == 1
    assert report.problems[0].startswith(f"cannot read {folder / 'broken.xlsx'} as an XLSX")
    retried = import_source(runtime, runtime.config.sources[0])
    assert (retried.errors, retried.new) == (1, 0)  # the bad file is tried again, good is not

    os.remove(folder / "good.csv")
    only_bad = import_source(runtime, runtime.config.sources[0])
    assert not only_bad.ok and "broken.xlsx" in only_bad.error
    checkpoint = load_checkpoint(runtime.state, SOURCE)
    assert checkpoint.status == "broken" and "broken.xlsx" in checkpoint.last_error


def test_a_missing_folder_fails_with_its_path(folder_runtime, tmp_path):
    runtime, folder = folder_runtime
    folder.rmdir()
    report = import_source(runtime, runtime.config.sources[0])
    assert not report.ok and str(folder) in report.error and "does not exist" in report.error
