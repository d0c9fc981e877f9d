"""``python -m web.crawl_child SOURCE... [--config] [--home] [--settings JSON]``: the crawl
child process that ``web.jobs`` starts (Twisted's reactor cannot restart in one process).
``python -m web.crawl_child --wait`` is a spare child (``crawlers.child.SpareChild``): it
warms up, then reads those arguments as one JSON list on stdin.

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

from crawlers.child import WAIT_FLAG
from crawlers.exceptions import UnknownSource
from crawlers.report import CrawlReport
from crawlers.runner import run_crawls
from models.exceptions import ConfigError
from models.redact import install_log_redaction
from nlp.enrich import Enricher
from web import logs
from web.runtime import open_runtime


def warm_up() -> None:
    """Load what every crawl needs and loads lazily (the sentiment model, the segmenter's and
    the topic dictionaries) by analysing one text."""
    Enricher().analyse(["预热：这款手机的屏幕很好，物流也快。"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [WAIT_FLAG]:  # a spare child: get ready, then read the arguments
        warm_up()
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
        runtime = open_runtime(args.config, args.home)
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
