"""The runtime: config, data directory, review store and state DB, opened lazily.

``open_runtime`` agrees for everyone on where the data lives: ``KOUBEI_HOME`` (default
``./koubei-data``), the config file in it (``koubei.yaml``, else the bundled demo config) and
the stores it names. The composition root (``web.runtime``) opens every runtime of the system
through it, with the system's plugins (the source, rule and channel types the config may
name), and attaches the cross-stage hooks, such as ``stored_hooks``, which the stages that
write reviews call without knowing who listens.
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from models.config import KoubeiConfig
from models.loader import load_config
from models.plugins import Plugins
from models.state import StateDB
from models.store import ReviewStore, open_review_store

DEMO_CONFIG = Path(__file__).with_name("demo.yaml")
DEMO_SITE = "http://127.0.0.1:8081"  # where the demo config expects the bundled demo site
# Addresses ``koubei run --port/--demo-port`` hands to every runtime of the process and of its
# crawl children (``with_addresses``).
PUBLIC_URL_ENV, DEMO_SITE_ENV = "KOUBEI_PUBLIC_URL", "KOUBEI_DEMO_SITE"


def koubei_home(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get("KOUBEI_HOME") or "koubei-data").resolve()


def default_config_path(home: Path) -> Path:
    """``$KOUBEI_CONFIG``, else ``koubei.yaml`` in the data directory, else the demo config."""
    if os.environ.get("KOUBEI_CONFIG"):
        return Path(os.environ["KOUBEI_CONFIG"]).resolve()
    own = home / "koubei.yaml"
    return own if own.exists() else DEMO_CONFIG


def state_url(config: KoubeiConfig, home: Path) -> str:
    """Where the relational state lives: ``$KOUBEI_STATE_URL`` (a PostgreSQL URL holds a
    password, so it need not be written in the config), else the config's ``state_url``, else
    ``state.db`` in the data directory."""
    return (os.environ.get("KOUBEI_STATE_URL") or config.state_url
            or f"sqlite:///{home / 'state.db'}")


StoredHook = Callable[["Runtime", Sequence[Any]], Any]


class Runtime:
    """The config plus lazily opened stores. Close it when done."""

    def __init__(self, config: KoubeiConfig, config_path: Path, home: Path):
        self.config = config
        self.config_path = config_path
        self.home = home
        # Called with (runtime, reviews) after reviews were written to the store.
        self.stored_hooks: list[StoredHook] = []

    def reviews_stored(self, reviews: Sequence[Any]) -> None:
        """Tell the ``stored_hooks`` that ``reviews`` were just written. A hook must not
        raise: the reviews are stored whatever a listener does with them."""
        for hook in self.stored_hooks:
            hook(self, reviews)

    @cached_property
    def store(self) -> ReviewStore:
        self.home.mkdir(parents=True, exist_ok=True)
        return open_review_store(self.config.store.backend, self.home, **self.config.store.options)

    @cached_property
    def state(self) -> StateDB:
        self.home.mkdir(parents=True, exist_ok=True)
        state = StateDB(state_url(self.config, self.home))
        state.upgrade()
        return state

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        if "state" in self.__dict__:
            self.state.close()


def with_addresses(config: KoubeiConfig, environ: Mapping[str, str] = os.environ
                   ) -> KoubeiConfig:
    """``config`` with the addresses this process was started with: ``$KOUBEI_PUBLIC_URL`` as
    ``web.public_url`` (links in notifications), and every source ``base_url`` and channel
    ``url`` on ``DEMO_SITE`` moved to ``$KOUBEI_DEMO_SITE``, so a second instance on other
    ports crawls and notifies its own demo site, not the first one's."""
    public_url, demo = environ.get(PUBLIC_URL_ENV), environ.get(DEMO_SITE_ENV)
    update: dict[str, Any] = {}
    if public_url:
        update["web"] = config.web.model_copy(update={"public_url": public_url})
    if demo:
        def moved(url: str | None) -> str | None:
            if url and (url == DEMO_SITE or url.startswith(DEMO_SITE + "/")):
                return demo.rstrip("/") + url[len(DEMO_SITE):]
            return url
        update["sources"] = [
            s.model_copy(update={"base_url": moved(getattr(s, "base_url", None))})
            if moved(getattr(s, "base_url", None)) != getattr(s, "base_url", None) else s
            for s in config.sources]
        update["channels"] = [
            c.model_copy(update={"url": moved(getattr(c, "url", None))})
            if moved(getattr(c, "url", None)) != getattr(c, "url", None) else c
            for c in config.channels]
    return config.model_copy(update=update) if update else config


def open_runtime(config_path: str | Path | None, home: str | Path | None,
                 plugins: Plugins) -> Runtime:
    """Load the config of ``plugins``' types (raising ``ConfigError``), with the process's
    addresses (``with_addresses``), and return a ``Runtime`` for it; None for ``config_path``
    or ``home`` means the defaults above."""
    home_path = koubei_home(home)
    path = Path(config_path).resolve() if config_path else default_config_path(home_path)
    return Runtime(with_addresses(load_config(path, plugins)), path, home_path)
