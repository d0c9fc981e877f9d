"""The item pipeline chain every crawled review passes through, in this order (``ITEM_PIPELINES``
in ``crawlers.settings``): validate → dedupe → enrich → store.

Each step is built by ``from_crawler`` and raises ``DropItem`` with a reason; each counts what
it does under ``koubei/...`` stats keys (``koubei/dropped/<reason>``, ``koubei/unchanged``,
``koubei/new``, ``koubei/updated``). The runtime (config and stores) reaches the steps through the
``KOUBEI_RUNTIME`` setting (see ``crawlers.settings.shared_runtime``).
"""
