"""Log lines carry one timezone: the time at the start of a line is written in the config's
timezone with its abbreviation (``2026-12-05 14:22:03 CST``), the zone APScheduler already
uses for "next run at ...", so a line never mixes the machine's clock with the config's.

``setup(level)`` installs the root handler (before any config is read, times are UTC);
``use_zone(name)`` switches every line after it to the config's zone.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone, tzinfo
from zoneinfo import ZoneInfo

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ZonedFormatter(logging.Formatter):
    """``logging.Formatter`` whose ``%(asctime)s`` is in ``zone``, with the zone's name."""

    zone: tzinfo = timezone.utc

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


def setup(level: int, fmt: str = FORMAT, stream=None) -> None:
    logging.basicConfig(level=level, stream=stream)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(ZonedFormatter(fmt))


def use_zone(name: str) -> None:
    """Write log times in the IANA zone ``name`` from now on."""
    ZonedFormatter.zone = ZoneInfo(name)
