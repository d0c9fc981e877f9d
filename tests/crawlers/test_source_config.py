"""The source types in the config: the README's example of every type loads, and a bad source
names its file and key."""
from __future__ import annotations

import re

import pytest
import yaml

from crawlers.runner import PROJECT_ROOT
from crawlers.spiders import SOURCE_TYPES
from models.exceptions import ConfigError
from models.loader import parse_config
from web.runtime import PLUGINS


def readme_sources() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Sources", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.DOTALL)[1]


def test_the_readme_example_has_every_type_and_loads():
    config = parse_config(readme_sources(), PLUGINS, "README.md")
    types = {source.type for source in config.sources}
    assert types == set(SOURCE_TYPES)
    forum = config.source("yunque-forum")
    assert forum.fields.time == "xpath:.//time/@datetime" and forum.next_page == "a.next"
    assert config.source("yunque-weibo").max_pages == 3


@pytest.mark.parametrize("source, key, message", [
    ({"type": "jsonapi", "url": "https://x/api", "items": "data.[",
      "fields": {"text": "body"}}, "sources[0].items", "not a valid JMESPath"),
    ({"type": "jsonapi", "url": "https://x/api", "items": "data",
      "fields": {"text": "body", "time": "a..b"}}, "sources[0].fields.time", "JMESPath"),
    ({"type": "rss", "url": "/feed.xml"}, "sources[0]", "no base_url"),
    ({"type": "html", "url": "https://x/", "item": "li", "fields": {"text": "p"},
      "timezone": "Beijing"}, "sources[0].timezone", "IANA timezone"),
    ({"type": "bilibili", "oid": "BV1xx411c7mD"}, "sources[0].oid", "pattern"),
    ({"type": "douban", "subject_id": "1", "kind": "music"}, "sources[0].kind", "movie"),
])
def test_a_bad_source_names_file_and_key(source, key, message):
    text = yaml.safe_dump({"sources": [{"name": "s", **source}]})
    with pytest.raises(ConfigError) as caught:
        parse_config(text, PLUGINS, "koubei.yaml")
    problem = str(caught.value)
    assert f"koubei.yaml: {key}" in problem and message in problem, problem
