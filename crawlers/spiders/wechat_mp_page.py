"""Reading 微信公众号 articles (docs/sources.md §13): the admin console's article list
(``/cgi-bin/appmsg?action=list_ex``, JSON) and an article's own page (``/s?__biz=…``, HTML).

The list: ``{"base_resp": {"ret": 0, "err_msg": "ok"}, "app_msg_cnt": N, "app_msg_list":
[...]}``, newest first. Row: ``aid`` (``"<appmsgid>_<itemidx>"``), ``appmsgid``, ``itemidx``,
``title``, ``digest``, ``link`` (``http(s)://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…``),
``create_time`` / ``update_time`` (epoch seconds), ``cover``, ``author_name`` (*uncertain*).
``base_resp.ret`` not 0 is a refusal (``200003`` invalid session, ``200013`` frequency
control, others with their ``err_msg``): ``PageFormatError("api_refused")``.

A row's link is attacker-controlled: only a link to ``mp.weixin.qq.com`` (``/s?…`` with
``__biz``, ``mid``, ``idx`` or ``/s/<code>``) is accepted, and only its path and query are
kept (``ArticleRef.target``); the spider requests them on its own host, never the link.

The article page: title in ``h1#activity-name`` (else ``var msg_title = '…'``), the account in
``#js_name`` (else ``var nickname = htmlDecode("…")``), the writer in ``meta[name=author]``,
the time in ``var ct = "<epoch seconds>"``, the body in ``#js_content``. A page without
``#js_content`` is a refusal: a verification page (环境异常, 完成验证后即可继续访问,
请在微信客户端打开链接, 访问过于频繁: ``Refused``, the whole crawl is refused), an
article deleted or blocked (该内容已被发布者删除, 此内容因违规无法查看 …: ``Unavailable``,
that article only), anything else ``PageFormatError("no_article")``.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from lxml import etree
from parsel import Selector

from crawlers.exceptions import EntryFormatError, PageFormatError
from crawlers.items import RawReview
from crawlers.normalise import entry_time, parse_time
from crawlers.spiders.json_body import decode, dig, load_json, text_of

PLATFORM = "wechat_mp"
HOST = "mp.weixin.qq.com"
ARTICLE_URL = "https://mp.weixin.qq.com{target}"
MAX_TITLE = 200
MAX_DIGEST = 1000
_BIZ = re.compile(r"^[A-Za-z0-9+/=_-]{1,64}$")
_DIGITS = re.compile(r"^\d{1,20}$")
_SN = re.compile(r"^[0-9a-fA-F]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CT = re.compile(r"""var\s+ct\s*=\s*["'](\d{9,11})["']""")
_JS_STRING = r"""\s*=\s*(?:htmlDecode\()?\s*(?:"([^"\n]{0,600})"|'([^'\n]{0,600})')"""
_BLOCKS = frozenset({"p", "div", "section", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                     "blockquote", "br", "tr", "pre", "figcaption"})
REFUSED = ("环境异常", "完成验证后即可继续访问", "请在微信客户端打开链接", "访问过于频繁")
UNAVAILABLE = ("该内容已被发布者删除", "此内容因违规无法查看", "涉嫌侵权", "此内容发送失败",
               "涉嫌过度营销", "此帐号已被屏蔽", "此帐号已自主注销", "此帐号处于帐号迁移流程中",
               "该公众号已迁移", "链接已过期")
LIST_REFUSALS = {200003: "the 公众号 session (cookie or token) is missing or expired",
                 200013: "the site limits this account's list requests for a while (keep the "
                         "interval long)",
                 200040: "the session is no longer valid"}


class Refused(PageFormatError):
    """The site refuses this client (a verification page, 访问过于频繁): the crawl stops."""


class Unavailable(EntryFormatError):
    """The article is gone or blocked (deleted by its author, removed for a violation)."""


@dataclass(slots=True)
class ArticleList:
    rows: list[Any]
    total: int


@dataclass(slots=True)
class ArticleRef:
    """One article to read: its stable id, the path and query to request on the article host
    (``target``), and what the list says (title, digest, time, author)."""
    native_id: str
    target: str
    title: str | None = None
    digest: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Article:
    title: str | None
    account: str | None
    author: str | None
    published_at: datetime | None
    text: str


# --- the list ---------------------------------------------------------------------------------
def parse_list(body: bytes | str) -> ArticleList:
    try:
        document = load_json(body)
    except PageFormatError as exc:
        raise PageFormatError("api_refused", "the list answer is not JSON (a login page? the "
                                             "session may have expired)") from exc
    if not isinstance(document, dict):
        raise PageFormatError("not_an_object", "the answer is not a JSON object")
    ret = dig(document, "base_resp", "ret")
    if ret is None or text_of(ret) != "0":
        message = (text_of(dig(document, "base_resp", "err_msg")) or "")[:200]
        code = int(ret) if isinstance(ret, int) and not isinstance(ret, bool) else None
        why = LIST_REFUSALS.get(code, "the site refused the list request")
        raise PageFormatError("api_refused", f"ret {text_of(ret) or '?'} {message}: {why}"
                              .replace("  ", " "))
    rows = document.get("app_msg_list")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise PageFormatError("no_articles", "app_msg_list is not a list")
    total = document.get("app_msg_cnt")
    return ArticleList(rows, total if isinstance(total, int) and total >= 0 else 0)


def to_ref(row: Any) -> ArticleRef:
    """The article a list row names; ``EntryFormatError`` when it names none on the host."""
    if not isinstance(row, dict):
        raise EntryFormatError("not_an_object", f"row is a {type(row).__name__}")
    link = text_of(row.get("link"))
    if not link:
        raise EntryFormatError("missing_link", "row without a link")
    ref = article_ref(link)
    ref.title = _short(text_of(row.get("title")), MAX_TITLE)
    ref.digest = _short(text_of(row.get("digest")), MAX_DIGEST)
    ref.author = _short(text_of(row.get("author_name")), 100)
    when = row.get("create_time") or row.get("update_time")
    ref.published_at = entry_time(when, f"article {ref.native_id}") if when else None
    return ref


def article_ref(link: str) -> ArticleRef:
    """The article at ``link`` (on ``mp.weixin.qq.com`` only): its id and the path and query
    to request. ``EntryFormatError("offsite_link" | "not_an_article")`` otherwise."""
    try:
        parts = urlsplit(html.unescape(link.strip()))
        host = parts.hostname
    except ValueError as exc:
        raise EntryFormatError("not_an_article", f"unreadable link: {exc}") from exc
    if parts.scheme not in ("http", "https") or host != HOST:
        raise EntryFormatError("offsite_link", f"link to {host or parts.scheme or '?'!r} is "
                                               f"not an article on {HOST}; not followed")
    if parts.path.startswith("/s/"):
        code = parts.path[3:]
        if not _CODE.match(code):
            raise EntryFormatError("not_an_article", "short article link with an unreadable "
                                                     "code")
        return ArticleRef(f"s:{code}", f"/s/{code}")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    biz, mid, idx, sn = (query.get(k, "") for k in ("__biz", "mid", "idx", "sn"))
    if parts.path != "/s" or not (_BIZ.match(biz) and _DIGITS.match(mid)
                                  and _DIGITS.match(idx)) or (sn and not _SN.match(sn)):
        raise EntryFormatError("not_an_article", "link without a readable __biz, mid and idx")
    kept = {"__biz": biz, "mid": mid, "idx": idx, **({"sn": sn} if sn else {})}
    return ArticleRef(f"{biz}:{mid}_{idx}", f"/s?{urlencode(kept, safe='=')}")


# --- the article page -------------------------------------------------------------------------
def parse_article(body: bytes | str) -> Article:
    """The article on a page; ``Refused``, ``Unavailable`` or ``PageFormatError``."""
    markup = decode(body)
    page = Selector(text=markup)
    content = page.css("#js_content")
    if not content:
        shown = " ".join(" ".join(page.xpath("//body//text()[not(ancestor::script) and "
                                             "not(ancestor::style)]").getall()).split())
        title = " ".join(page.css("title::text").get("").split())[:80]
        for sign in REFUSED:
            if sign in shown or sign in title:
                raise Refused("api_refused", f"a verification page ({sign}): the site asks "
                                             "for a captcha or the WeChat client; not solved "
                                             "here")
        for sign in UNAVAILABLE:
            if sign in shown:
                raise Unavailable("article_unavailable", f"the site says: {shown[:120]}")
        raise PageFormatError("no_article", f"no article on the page (title: {title or 'none'})")
    text = _body_text(content[0])
    when = _CT.search(markup)
    published_at = None
    if when:
        try:
            published_at = parse_time(int(when[1]))
        except ValueError:
            published_at = None
    return Article(
        title=_short(_visible(page.css("h1#activity-name")) or _js_var(markup, "msg_title"),
                     MAX_TITLE),
        account=_short(_visible(page.css("#js_name")) or _js_var(markup, "nickname"), 100),
        author=_short(page.css("meta[name=author]::attr(content)").get(), 100),
        published_at=published_at, text=text)


def to_raw_review(ref: ArticleRef, article: Article, source: str) -> RawReview:
    text = article.text or ref.digest or ""
    if not text.strip():
        raise EntryFormatError("missing_content", f"article {ref.native_id} without text")
    published_at = article.published_at or ref.published_at
    if published_at is None:
        raise EntryFormatError("bad_time", f"article {ref.native_id}: no time on the page or "
                                           "in the list")
    extra: dict[str, Any] = dict(ref.extra)
    if article.account:
        extra["account"] = article.account
    if not article.text:
        extra["text_from"] = "digest"
    return RawReview(source=source, platform=PLATFORM, native_id=ref.native_id, text=text,
                     title=article.title or ref.title, published_at=published_at,
                     author=article.author or ref.author or article.account,
                     url=ARTICLE_URL.format(target=ref.target), extra=extra)


def _body_text(content: Selector) -> str:
    """The body's text, one line per paragraph (block element or ``<br>``), whitespace folded
    within a line; scripts and styles skipped. Walked without recursion (pages are hostile)."""
    parts: list[str] = []
    for event, node in etree.iterwalk(content.root, events=("start", "end")):
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                parts.append("\n")
            if node.text and tag and tag not in ("script", "style"):
                parts.append(node.text)
        else:
            if tag in _BLOCKS:
                parts.append("\n")
            if node.tail and node is not content.root:
                parts.append(node.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _visible(found: list[Selector]) -> str:
    if not found:
        return ""
    words = found[0].xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return " ".join("".join(words.getall()).split())


def _js_var(markup: str, name: str) -> str | None:
    match = re.search(rf"var\s+{name}{_JS_STRING}", markup)
    if not match:
        return None
    value = match[1] if match[1] is not None else match[2]
    value = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), value)
    return html.unescape(value).strip() or None


def _short(value: str | None, limit: int) -> str | None:
    value = " ".join(value.split()) if value else ""
    return value[:limit] or None
