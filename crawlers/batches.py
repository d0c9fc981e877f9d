"""Splitting the sources of one ``koubei crawl`` into batches that can run at the same time
without being rude: a batch holds at most one source per site (host), so that a site sees at
most its source's ``concurrency`` requests at a time, however many of its videos, products or
posts are configured. Batches run one after the other, each in one child process."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

DEFAULT_HOSTS = {"appstore": "itunes.apple.com", "bilibili": "api.bilibili.com",
                 "jd": "club.jd.com", "weibo": "m.weibo.cn", "ctrip": "m.ctrip.com"}


def site_of(source: Any) -> str:
    """The host a source's crawl talks to ("" for a file source, which talks to none)."""
    if source.type == "file":
        return ""
    if source.base_url:
        return urlsplit(source.base_url).netloc
    if source.type == "douban":
        return f"{source.kind}.douban.com"
    url = getattr(source, "url", None)
    return urlsplit(url).netloc if url else DEFAULT_HOSTS.get(source.type, source.type)


def crawl_batches(sources: list[Any]) -> list[list[Any]]:
    """The sources in batches, in their order, at most one per site in each batch (file sources
    all go in the first batch)."""
    batches: list[list[Any]] = []
    used: list[set[str]] = []
    for source in sources:
        site = site_of(source)
        for batch, sites in zip(batches, used):
            if not site or site not in sites:
                break
        else:
            batch, sites = [], set()
            batches.append(batch)
            used.append(sites)
        batch.append(source)
        if site:
            sites.add(site)
    return batches
