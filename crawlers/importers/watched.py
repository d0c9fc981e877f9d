"""A ``file`` source: its ``path`` is one export file, or a folder watched for exports (CSV,
JSONL, XLSX). Each "crawl" imports the files not imported before, in name order, and records
them in the source's checkpoint (``imported_files``), so a file is imported once; a file whose
size or modification time changed (an export re-written in place) is imported again, which
only updates its reviews. A symbolic link leading out of the folder is never followed. A
file that cannot be read is reported with its path and the other files are still imported;
the file is tried again next time.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from crawlers.checkpoints import imported_files, record_failure, record_imported, record_success
from crawlers.exceptions import ImportFileError
from crawlers.importers import FORMATS, import_file
from crawlers.report import CrawlReport
from crawlers.source_type import SourceType
from models.config import SourceBase
from models.exceptions import KoubeiError

MAX_PROBLEMS = 20
log = logging.getLogger(__name__)


class FileConfig(SourceBase):
    """Files exported by platforms or customer-service systems (CSV, JSONL, XLSX). ``path`` is
    one file, or a folder watched for new files (each imported once)."""
    type: Literal["file"]
    path: str | None = None
    mapping: dict[str, str] = {}  # review field -> column name in the file
    timezone: str = "Asia/Shanghai"  # for times written without an offset


class FileImport(SourceType):
    """The ``file`` source type: collected by ``import_source``, not crawled."""
    config_model = FileConfig


def file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.name}|{stat.st_size}|{stat.st_mtime_ns}"


def inside(folder: Path, path: Path) -> bool:
    """Whether ``path`` really lies in ``folder``: a symbolic link dropped into a watched
    folder must not import a file from elsewhere on the machine."""
    return path.resolve().is_relative_to(folder.resolve())


def pending_files(folder: Path, done: set[str]) -> list[Path]:
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in FORMATS and not p.name.startswith("."))
    for path in files:
        if not inside(folder, path):
            log.warning("%s: not imported: a link to %s, outside the watched folder",
                        path, path.resolve())
    return [p for p in files if inside(folder, p) and file_key(p) not in done]


def import_source(runtime: Any, source: Any) -> CrawlReport:
    """Import what is new under ``source.path``; record success or failure; return the report."""
    report = CrawlReport(source.name)
    try:
        if not source.path:
            raise ImportFileError(f"source {source.name!r} has no path to import")
        path = Path(source.path).expanduser()
        if not path.exists():
            raise ImportFileError(f"source {source.name!r}: {path} does not exist")
        files = pending_files(path, imported_files(runtime.state, source.name)) \
            if path.is_dir() else [path]
    except (ImportFileError, OSError) as exc:
        report.ok, report.errors, report.error = False, 1, str(exc)
        record_failure(runtime.state, source.name, report.error)
        return report
    from nlp.enrich import Enricher  # here, so that loading the CLI does not load the analyser

    enricher = Enricher.from_config(runtime.config) if files else None
    done: list[str] = []
    for file in files:
        try:
            imported = import_file(runtime, file, source.name, enricher=enricher)
        except KoubeiError as exc:  # the file, the analyser or the store
            report.errors += 1
            report.problems.append(str(exc) if str(file) in str(exc) else f"{file}: {exc}")
            continue
        report.pages += 1
        report.new += imported.new
        report.updated += imported.updated
        report.unchanged += imported.unchanged
        report.dropped += len(imported.bad)
        report.problems.extend(str(b) for b in imported.bad[:MAX_PROBLEMS])
        if imported.ok:
            done.append(file_key(file))
        else:
            report.errors += 1
            report.problems.append(f"{file}: every row of the file was bad")
    report.problems = report.problems[:MAX_PROBLEMS]
    if files and not done:
        report.ok, report.error = False, f"no file could be imported: {report.problems[-1]}"
        record_failure(runtime.state, source.name, report.error, report.counts())
    else:
        record_imported(runtime.state, source.name, done)
        record_success(runtime.state, source.name, report.counts(), None, [])
    return report
