"""Connecting to Elasticsearch: options from the config and the environment, one clear error.

Options (``store.options`` in the config; every one may be omitted):

    url            http(s)://host:9200 (env ``KOUBEI_ES_URL`` overrides; default localhost);
                   several nodes of one cluster separated by commas, tried in turn: a request
                   to a node that is down goes to the next one
    username       basic-auth user (env ``KOUBEI_ES_USERNAME``)
    password_env   name of the variable holding the password (default ``KOUBEI_ES_PASSWORD``)
    api_key_env    name of the variable holding an API key (default ``KOUBEI_ES_API_KEY``)
    ca_certs       CA bundle for TLS;  verify: false turns certificate checks off
    request_timeout  seconds (default 30)

``check_node`` checks the node once at start-up, so a wrong URL, wrong credentials or a server of
the wrong major version fail here with one message naming the URL and the config key. The
client logs each retry of a failed request with the whole traceback of the failure; those
records keep their one-line message here and lose the traceback (``RetryWithoutTraceback``),
so an unreachable node reads as a few warnings and one error, not pages of stack frames.
"""
from __future__ import annotations

import base64
import logging
import os
from contextlib import contextmanager
from typing import Iterator

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    ConnectionError,
    ConnectionTimeout,
    Elasticsearch,
    UnsupportedProductError,
)
from elasticsearch import __version__ as client_version

from models.exceptions import StoreError, StoreUnavailable

DEFAULT_URL = "http://localhost:9200"


class RetryWithoutTraceback(logging.Filter):
    """Folds the failure of a client log record into its message and drops the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg, record.args = f"{record.getMessage()}: {record.exc_info[1]}", ()
        record.exc_info = record.exc_text = None
        return True


logging.getLogger("elastic_transport.transport").addFilter(RetryWithoutTraceback())


def resolve_url(url: str | None) -> str:
    return os.environ.get("KOUBEI_ES_URL") or url or DEFAULT_URL


def node_urls(url: str) -> list[str]:
    """The nodes ``url`` names: one URL, or several of one cluster separated by commas."""
    nodes = [part.strip() for part in url.split(",") if part.strip()]
    if not nodes:
        raise StoreError("no Elasticsearch URL in store.options.url / KOUBEI_ES_URL")
    return nodes


def make_client(url: str | None = None, username: str | None = None,
                password_env: str = "KOUBEI_ES_PASSWORD", api_key_env: str = "KOUBEI_ES_API_KEY",
                ca_certs: str | None = None, verify: bool = True,
                request_timeout: float = 30.0) -> tuple[Elasticsearch, str]:
    """Return ``(client, url)`` without contacting the node. With several nodes the client
    spreads requests over them and sends a request that could not reach one node (refused,
    reset) to another once (``max_retries``); a node that failed rests a while before it
    is tried again."""
    url = resolve_url(url)
    nodes = node_urls(url)
    kwargs: dict = {"request_timeout": request_timeout, "max_retries": 1,
                    "retry_on_timeout": False}
    username = os.environ.get("KOUBEI_ES_USERNAME") or username
    if os.environ.get(api_key_env):
        kwargs["api_key"] = os.environ[api_key_env]
    elif username:
        # encoded here as UTF-8: the client encodes a (user, password) pair as ASCII and fails
        # on a password such as 口碑2026, which Elasticsearch itself accepts
        pair = f"{username}:{os.environ.get(password_env, '')}".encode("utf-8")
        kwargs["basic_auth"] = base64.b64encode(pair).decode("ascii")
    if ca_certs:
        kwargs["ca_certs"] = ca_certs
    if not verify:
        kwargs["verify_certs"] = False
        kwargs["ssl_show_warn"] = False
    return Elasticsearch(nodes, **kwargs), url


def check_node(client: Elasticsearch, url: str) -> str:
    """Contact the cluster once; return the lowest node version or raise one ``StoreError``."""
    where = f"Elasticsearch at {url} (store.options.url / KOUBEI_ES_URL)"
    # the nodes API rather than ``GET /``, which minimal distributions do not serve
    try:
        nodes = client.nodes.info(node_id="_all", metric="_none",
                                  filter_path="nodes.*.version")["nodes"]
    except ConnectionError as exc:
        raise StoreUnavailable(f"cannot reach {where}: {exc.message}") from exc
    except (AuthenticationException, AuthorizationException) as exc:
        raise StoreError(f"{where} refused the credentials ({exc.meta.status}); check "
                         "store.options.username with password_env, or api_key_env") from exc
    except UnsupportedProductError as exc:
        raise StoreError(f"{url} does not answer as Elasticsearch: {exc}") from exc
    except ApiError as exc:
        raise StoreError(f"{where} answered {exc.meta.status}: {exc}") from exc
    server = min((n["version"] for n in nodes.values()),
                 key=lambda v: [int(p) for p in v.split("-")[0].split(".")])
    if server.split(".")[0] != str(client_version[0]):
        raise StoreError(f"{where} runs Elasticsearch {server}, but this Koubei uses the "
                         f"{client_version[0]}.x client; the major versions must match")
    return server


# Answers of a node that is up but cannot serve yet: overloaded, starting, recovering its shards
# after a restart (503 search_phase_execution_exception), or behind a proxy that lost it.
NOT_READY_STATUSES = {429, 502, 503, 504}


@contextmanager
def translated_errors(url: str) -> Iterator[None]:
    """Wrap the client's errors at the boundary, naming the URL: unreachable or not ready
    (``NOT_READY_STATUSES``) → ``StoreUnavailable``, so writers spool instead of losing the
    batch; any other answer → ``StoreError``."""
    try:
        yield
    except (ConnectionError, ConnectionTimeout) as exc:
        raise StoreUnavailable(f"cannot reach Elasticsearch at {url}: {exc}") from exc
    except ApiError as exc:
        if exc.meta.status in NOT_READY_STATUSES:
            raise StoreUnavailable(f"Elasticsearch at {url} is not ready "
                                   f"({exc.meta.status}): {exc}") from exc
        raise StoreError(f"Elasticsearch at {url} answered {exc.meta.status}: {exc}") from exc
