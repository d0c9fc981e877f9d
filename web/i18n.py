"""Interface language: zh-CN by default, English available.

The language of a request is, in order: ``?lang=en|zh-CN`` (then remembered in a cookie), the
cookie, the config's ``language``. It lives on ``flask.g`` for the request only. Every
user-visible string of the pages comes from ``web.messages.MESSAGES`` through ``gettext`` —
in templates ``_("key", name=value)``, which fills ``{name}`` placeholders.
"""
from __future__ import annotations

from typing import Callable
from urllib.parse import quote, urlencode

from flask import Flask, Response, current_app, g, has_request_context, request

from web.messages import MESSAGES

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
COOKIE = "koubei_lang"
_ALIASES = {"zh": "zh-CN", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "zh-hans": "zh-CN",
            "en": "en", "en-us": "en", "en-gb": "en", "en_us": "en"}


def normalise_language(value: str | None) -> str | None:
    """The supported language ``value`` names, or None."""
    return _ALIASES.get((value or "").strip().lower())


def select_language() -> str:
    return (normalise_language(request.args.get("lang"))
            or normalise_language(request.cookies.get(COOKIE))
            or normalise_language(current_app.extensions["koubei"].config.language)
            or DEFAULT_LANGUAGE)


def current_language() -> str:
    if has_request_context() and "lang" in g:
        return g.lang
    return DEFAULT_LANGUAGE


Label = Callable[[str], str]


def translator(language: str) -> Label:
    """``key`` → its message in ``language`` (falling back as ``gettext`` does), for text made
    outside a request (reports from the command line or the scheduler)."""
    catalogue = MESSAGES.get(normalise_language(language) or DEFAULT_LANGUAGE, {})
    return lambda key: catalogue.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key) or key


def gettext(key: str, _default: str | None = None, **values: object) -> str:
    """The message ``key`` in the request's language; a key missing from that catalogue
    falls back to Chinese, then to ``_default`` (for keys built from stored values, such as
    an event kind added later), then to the key itself (tests catch that)."""
    text = (MESSAGES[current_language()].get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key)
            or _default or key)
    return text.format(**values) if values else text


def language_url(language: str) -> str:
    """The current page in ``language`` (other query parameters kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [language]
    return f"{request.script_root}{quote(request.path)}?{urlencode(args, doseq=True)}"


def _remember(response: Response) -> Response:
    asked = normalise_language(request.args.get("lang"))
    if asked and asked != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, asked, max_age=365 * 86400, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    @app.before_request
    def _choose_language() -> None:
        g.lang = select_language()

    app.after_request(_remember)
    app.jinja_env.globals.update(_=gettext, language_url=language_url, LANGUAGES=LANGUAGES)

    @app.context_processor
    def _language() -> dict:
        return {"lang": current_language()}
