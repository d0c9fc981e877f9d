"""The top layer: the Flask app (``web.app.create_app``), its pages, API and security, the
reports, the ``koubei`` command line and the composition root that wires the stages together.

Importing ``web`` imports nothing else, so a helper such as ``web.i18n`` loads without the app.
"""
