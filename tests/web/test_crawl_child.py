"""``web.crawl_child.warm_up``: what a spare crawl child loads while it waits, so that neither
its crawl nor a crisis notice sent from that crawl loads it after the page arrived."""
from __future__ import annotations

import json
import subprocess
import sys

from crawlers.child import PROJECT_ROOT

PROBE = """
import json, sys
import nlp.keywords, nlp.sentiment
from sqlalchemy.orm import Mapper
from web.crawl_child import warm_up
from models.state import Incident

def state():
    return {"http transport": "httpcore" in sys.modules,
            "download handler": "scrapy.core.downloader.handlers.http11" in sys.modules,
            "keyword tables": nlp.keywords._tables is not None,
            "sentiment model": nlp.sentiment._shipped is not None,
            "mappers": not Incident.__mapper__.registry._new_mappers}
before = state()
warm_up()
print(json.dumps({"before": before, "after": state()}))
"""


def test_a_spare_child_warms_what_its_crawl_and_a_crisis_notice_would_load():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["after"] == dict.fromkeys(found["after"], True)
    assert not any(found["before"][k] for k in ("http transport", "keyword tables",
                                                "sentiment model"))
