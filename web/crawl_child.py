"""``python -m web.crawl_child SOURCE... [--config] [--home] [--settings JSON]``: the crawl
child process that ``web.jobs`` starts (Twisted's reactor cannot restart in one process).
``python -m web.crawl_child --wait [--config C --home H]`` is a spare child
(``crawlers.child.SpareChild``): it warms up, then reads those arguments as one JSON list on
stdin. Given the config and data directory, it also reads that config and builds and
exercises its analyser while it waits (``Prepared``); the crawl uses that runtime
when it is handed the same two and the config file still reads as it did, else it opens a
fresh one, so an edited config is read as by a fresh child.

It opens its runtime through the composition root, so a crisis review stored by the crawl
opens its incident at once; prints each ``CrawlReport`` as one JSON line on stdout; logs to
stderr at ``$KOUBEI_CRAWL_LOG_LEVEL`` (default WARNING) and applies the Scrapy settings in
``$KOUBEI_CRAWL_SETTINGS`` (a JSON object) last when none are passed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.orm import configure_mappers

# Loaded here so that a crisis review's store hook (``alerting.detect.crisis``, which imports
# these on first use) finds them loaded in a spare child instead of importing them mid-crawl.
import alerting.detect.tick  # noqa: F401
import alerting.respond.channels  # noqa: F401
from alerting.respond.channels.base import shared_tls
from crawlers.child import WAIT_FLAG
from crawlers.exceptions import UnknownSource
from crawlers.pipelines.enrich import shared_enricher
from crawlers.report import CrawlReport
from crawlers.runner import run_crawls
from crawlers.settings import preload_components
from models.exceptions import ConfigError
from models.redact import install_log_redaction
from nlp.enrich import Enricher
from web import logs
from web.runtime import Runtime, open_runtime

WARM_TEXT = "预热：这款手机的屏幕很好，物流也快。"


def warm_up() -> None:
    """Load what every crawl needs and loads lazily: Scrapy's components (downloader
    handlers, middlewares, extensions), the sentiment model, the segmenter's and the topic
    dictionaries (by analysing one text), and what a crisis notice sent from the crawl needs
    (the state models' mappers, the channels' TLS context and HTTP transport)."""
    preload_components()
    Enricher().analyse([WARM_TEXT])
    configure_mappers()
    httpx.Client(verify=shared_tls()).close()


@dataclass
class Prepared:
    """A runtime opened ahead of the crawl for the ``--config``/``--home`` a spare was started
    with, and its config file's text as it was read."""
    config: str | None
    home: str | None
    runtime: Runtime
    text: bytes

    def take(self, config: str | None, home: str | None) -> Runtime | None:
        """The prepared runtime for a crawl of ``config``/``home``; None (and it is closed)
        when those differ or the config file changed since it was read."""
        if (config, home) == (self.config, self.home) and _read(self.runtime) == self.text:
            return self.runtime
        self.runtime.close()
        return None


def prepare(argv: list[str]) -> Prepared | None:
    """Open the runtime ``argv`` (``--config``, ``--home``) names (the config read and
    checked) and warm it: the config's analyser (its segmenter knows the config's entity
    words) built and run once. Its stores stay closed until the crawl: a fresh data
    directory's state database is being created by the crawl running meanwhile. None when
    there is nothing to prepare or it fails: the crawl then opens its runtime itself and
    reports what is wrong."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config")
    parser.add_argument("--home")
    args, _ = parser.parse_known_args(argv)
    if not args.config or not args.home:
        return None
    try:
        text = Path(args.config).read_bytes()  # before the runtime reads it: an edit between
        runtime = open_runtime(args.config, args.home)  # the two shows as a change
        shared_enricher(runtime.config).analyse([WARM_TEXT])
    except Exception:  # a broken config or store: the crawl itself will say what is wrong
        logging.getLogger(__name__).debug("spare child: not prepared", exc_info=True)
        return None
    return Prepared(args.config, args.home, runtime, text)


def _read(runtime: Runtime) -> bytes:
    try:
        return runtime.config_path.read_bytes()
    except OSError:
        return b""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    prepared = None
    if argv[:1] == [WAIT_FLAG]:  # a spare child: get ready, then read the arguments
        warm_up()
        prepared = prepare(argv[1:])
        line = sys.stdin.readline()
        if not line.strip():
            return 0  # not needed after all
        argv = json.loads(line)
    parser = argparse.ArgumentParser(prog="python -m web.crawl_child",
                                     description="Crawl one source; print the report as JSON.")
    parser.add_argument("sources", nargs="+", metavar="source")
    parser.add_argument("--config")
    parser.add_argument("--home")
    parser.add_argument("--settings", default=os.environ.get("KOUBEI_CRAWL_SETTINGS"),
                        help="Scrapy settings as a JSON object, applied last "
                             "(default: $KOUBEI_CRAWL_SETTINGS)")
    parser.add_argument("--log-level", default=os.environ.get("KOUBEI_CRAWL_LOG_LEVEL", "WARNING"))
    args = parser.parse_args(argv)
    logs.setup(logging.WARNING, "%(asctime)s [%(name)s] %(levelname)s: %(message)s", sys.stderr)
    # On the handler too, since Scrapy sets its own loggers to DEBUG.
    logging.root.setLevel(args.log_level.upper())
    logging.root.handlers[0].setLevel(args.log_level.upper())
    install_log_redaction()
    try:
        runtime = (prepared and prepared.take(args.config, args.home)) or open_runtime(
            args.config, args.home)
    except ConfigError as exc:
        reports = [CrawlReport(name, ok=False, error=str(exc)) for name in args.sources]
    else:
        logs.use_zone(runtime.config.timezone)
        try:
            reports = run_crawls(runtime, args.sources, json.loads(args.settings or "{}"))
        except UnknownSource as exc:
            reports = [CrawlReport(name, ok=False, error=str(exc)) for name in args.sources]
        finally:
            runtime.close()
    for report in reports:
        print(json.dumps(report.to_dict(), ensure_ascii=False), flush=True)
    return 0


def exit_now(code: int) -> None:
    """Leave at once once the reports are out: tearing down the interpreter (Scrapy, the
    model, the dictionaries) takes seconds on a busy machine, and the worker waits for the
    exit before it records the crawl (and detection after it can start)."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
