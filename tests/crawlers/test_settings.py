"""``crawlers.settings.preload_components``: what a spare crawl child imports while it waits,
so that the crawl it is handed does not import Scrapy's components as it starts."""
from __future__ import annotations

import json
import subprocess
import sys

from crawlers.child import PROJECT_ROOT

PROBE = """
import json, sys
from crawlers.settings import preload_components
wanted = ["scrapy.core.downloader.handlers.http11",
          "scrapy.downloadermiddlewares.robotstxt",
          "crawlers.pipelines.store",
          "crawlers.middlewares.retry_after"]
before = [name for name in wanted if name in sys.modules]
loaded = preload_components()
print(json.dumps({"before": before, "after": [name for name in wanted if name in sys.modules],
                  "loaded": loaded}))
"""


def test_preloading_imports_the_components_a_crawl_builds():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == []  # a fresh interpreter: none of them loaded yet
    assert found["after"] == ["scrapy.core.downloader.handlers.http11",
                              "scrapy.downloadermiddlewares.robotstxt",
                              "crawlers.pipelines.store", "crawlers.middlewares.retry_after"]
    assert found["loaded"] > 20
