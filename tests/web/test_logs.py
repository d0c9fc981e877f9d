"""Log lines carry one timezone: the config's, named, like APScheduler's "next run at"."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timezone

from web import logs


def test_log_times_are_written_in_the_config_zone_with_its_name(monkeypatch):
    monkeypatch.setattr(logs.ZonedFormatter, "zone", timezone.utc)
    formatter = logs.ZonedFormatter(logs.FORMAT)
    record = logging.LogRecord("apscheduler.scheduler", logging.INFO, __file__, 1,
                               "Added job; next run at: %s", ("2026-12-05 14:22:23 CST",), None)
    record.created = datetime(2026, 12, 5, 6, 22, 3, tzinfo=timezone.utc).timestamp()
    assert formatter.format(record).startswith("2026-12-05 06:22:03 UTC INFO")
    logs.use_zone("Asia/Shanghai")
    assert formatter.format(record) == ("2026-12-05 14:22:03 CST INFO apscheduler.scheduler: "
                                        "Added job; next run at: 2026-12-05 14:22:23 CST")


def test_setup_puts_the_zoned_formatter_on_the_root_handler(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(logs.ZonedFormatter, "zone", timezone.utc)
    stream = io.StringIO()
    logs.setup(logging.INFO, stream=stream)
    logs.use_zone("Asia/Shanghai")
    logging.getLogger("koubei.test").warning("crawl finished")
    assert stream.getvalue().rstrip().endswith("CST WARNING koubei.test: crawl finished")
