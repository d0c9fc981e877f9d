"""Collecting public reviews: Scrapy spiders, the item pipeline chain (validate → dedupe →
enrich → store), crawl checkpoints, file importers, and the bundled demo review site.

Crawls run through ``crawlers.runner`` (``run_crawl`` in this process, ``crawl_in_child`` in a
child process, which is what the scheduler uses since Twisted's reactor cannot restart).
"""
