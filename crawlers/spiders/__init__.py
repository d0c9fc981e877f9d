"""Source types: ``SOURCE_TYPES`` maps a source's ``type`` to the class that collects it,
which carries the type's config model. A site type is one spider module here plus one entry;
the ``file`` type is ``crawlers.importers.watched.FileImport`` (imported, not crawled). A
deployment's own type is a ``PagedReviewSpider`` subclass named by its dotted path as
``type:``."""
from __future__ import annotations

from crawlers.importers.watched import FileImport
from crawlers.source_type import SourceType
from crawlers.spiders.appstore import AppStoreSpider
from crawlers.spiders.bilibili import BilibiliSpider
from crawlers.spiders.ctrip import CtripSpider
from crawlers.spiders.dianping import DianpingSpider
from crawlers.spiders.douban import DoubanSpider
from crawlers.spiders.douyin import DouyinSpider
from crawlers.spiders.heimao import HeimaoSpider
from crawlers.spiders.html import HtmlSpider
from crawlers.spiders.jd import JdSpider
from crawlers.spiders.jsonapi import JsonApiSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.wechat_mp import WechatMpSpider
from crawlers.spiders.weibo import WeiboSpider
from crawlers.spiders.xhs import XhsSpider
from crawlers.spiders.zhihu import ZhihuSpider
from models.config import SourceBase
from models.plugins import Registry

SOURCE_TYPES = Registry("source", SourceType, SourceBase, [
    AppStoreSpider, FileImport, BilibiliSpider, DoubanSpider, JdSpider, WeiboSpider, CtripSpider,
    RssSpider, HtmlSpider, JsonApiSpider, HeimaoSpider, ZhihuSpider, XhsSpider, DouyinSpider,
    DianpingSpider, WechatMpSpider])
