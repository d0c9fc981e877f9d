"""One spider per source type; ``SPIDERS`` maps a source ``type`` to its spider's dotted path."""

SPIDERS = {
    "appstore": "crawlers.spiders.appstore.AppStoreSpider",
}
