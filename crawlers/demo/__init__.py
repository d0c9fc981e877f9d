"""The bundled demo review site: realistic Chinese reviews of the fictional 云雀 (Yunque) brand
published over time in the App Store feed format, with a negative burst to detect, plus a webhook
receiver for the demo alert channel. ``koubei demo-site`` runs it."""
from crawlers.demo.catalogue import DemoCatalogue, DemoReview
from crawlers.demo.server import DemoSite, make_server, serve_demo_site

__all__ = ["DemoCatalogue", "DemoReview", "DemoSite", "make_server", "serve_demo_site"]
