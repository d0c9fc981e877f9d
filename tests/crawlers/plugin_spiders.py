"""A source type that is no part of Koubei, registered by writing its dotted path as a
source's ``type:`` (tests/crawlers/test_runner.py): the App Store spider under a type of its
own."""
from __future__ import annotations

from typing import Literal

from crawlers.spiders.appstore import AppStoreConfig, AppStoreSpider


class MirrorAppStoreConfig(AppStoreConfig):
    type: Literal["tests.crawlers.plugin_spiders.MirrorAppStoreSpider"]


class MirrorAppStoreSpider(AppStoreSpider):
    config_model = MirrorAppStoreConfig
