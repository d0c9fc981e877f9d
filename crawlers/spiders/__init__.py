"""One spider per source type; ``SPIDERS`` maps a source ``type`` to its spider's dotted path."""

SPIDERS = {
    "appstore": "crawlers.spiders.appstore.AppStoreSpider",
    "bilibili": "crawlers.spiders.bilibili.BilibiliSpider",
    "douban": "crawlers.spiders.douban.DoubanSpider",
    "jd": "crawlers.spiders.jd.JdSpider",
    "weibo": "crawlers.spiders.weibo.WeiboSpider",
    "ctrip": "crawlers.spiders.ctrip.CtripSpider",
    "rss": "crawlers.spiders.rss.RssSpider",
    "html": "crawlers.spiders.html.HtmlSpider",
    "jsonapi": "crawlers.spiders.jsonapi.JsonApiSpider",
}
