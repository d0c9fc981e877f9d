"""``koubei crawl`` batches: sources crawled at the same time never share a site."""
from __future__ import annotations

from crawlers.batches import crawl_batches, site_of
from models.config import config_model
from web.runtime import PLUGINS


def sources(*specs: dict):
    return config_model(PLUGINS)(sources=[{"name": f"s{i}", **spec}
                                          for i, spec in enumerate(specs)]).sources


def test_sites_of_each_type():
    found = [site_of(s) for s in sources(
        {"type": "bilibili", "oid": "1"}, {"type": "douban", "subject_id": "1", "kind": "book"},
        {"type": "rss", "url": "https://bbs.example.cn/feed.xml"},
        {"type": "jd", "sku": "1", "base_url": "http://127.0.0.1:8081"},
        {"type": "file", "path": "/x"})]
    assert found == ["api.bilibili.com", "book.douban.com", "bbs.example.cn",
                     "127.0.0.1:8081", ""]


def test_at_most_one_source_per_site_in_a_batch_order_kept():
    configured = sources({"type": "bilibili", "oid": "1"}, {"type": "bilibili", "oid": "2"},
                         {"type": "weibo", "mid": "1"}, {"type": "bilibili", "oid": "3"},
                         {"type": "file", "path": "/a"}, {"type": "file", "path": "/b"})
    batches = [[s.name for s in batch] for batch in crawl_batches(configured)]
    assert batches == [["s0", "s2", "s4", "s5"], ["s1"], ["s3"]]
    assert crawl_batches([]) == []
