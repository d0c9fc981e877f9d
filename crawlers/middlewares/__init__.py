"""Downloader middlewares of the Koubei crawls."""
