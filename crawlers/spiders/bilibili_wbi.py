"""bilibili's WBI request signature (``w_rid``/``wts``), as the site's own page script computes
it and as public API write-ups describe it (docs/sources.md §2).

The two keys are the file names (without extension) of ``data.wbi_img.img_url`` and
``sub_url`` in ``/x/web-interface/nav``, which answers them without a login (``code: -101``
with the keys still present). The mixin key is the first 32 characters of ``img_key +
sub_key`` taken in the fixed order of ``MIXIN_ORDER``. To sign: add ``wts`` (Unix seconds),
drop the characters ``!'()*`` from every value, sort the parameters by name, URL-encode them
(spaces as ``%20``) and ``w_rid`` is the MD5 hex of that query string followed by the mixin
key. The keys rotate daily; the algorithm has been stable since 2023.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping
from urllib.parse import quote, urlencode

from crawlers.exceptions import PageFormatError
from crawlers.spiders.json_body import dig, load_json, text_of

MIXIN_ORDER = (46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9,
               42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40, 61, 26, 17, 0,
               1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63, 57, 62, 11, 36, 20, 34, 44, 52)
_DROPPED = re.compile(r"[!'()*]")
_KEY = re.compile(r"/([0-9A-Za-z]{16,64})\.[A-Za-z]{2,5}$")


def mixin_key(img_key: str, sub_key: str) -> str:
    joined = img_key + sub_key
    return "".join(joined[i] for i in MIXIN_ORDER if i < len(joined))[:32]


def signed_query(params: Mapping[str, Any], mixin: str, wts: int) -> str:
    """The query string of ``params`` plus ``wts`` and ``w_rid``, in the signed order."""
    values = {**{k: str(v) for k, v in params.items()}, "wts": str(wts)}
    cleaned = {k: _DROPPED.sub("", values[k]) for k in sorted(values)}
    query = urlencode(cleaned, quote_via=quote)
    w_rid = hashlib.md5((query + mixin).encode("utf-8")).hexdigest()
    return f"{query}&w_rid={w_rid}"


def keys_from_nav(body: bytes) -> str:
    """The mixin key from a ``/x/web-interface/nav`` answer; ``PageFormatError("no_wbi_keys")``
    when the answer carries no usable key pair."""
    document = load_json(body)
    keys = []
    for field in ("img_url", "sub_url"):
        url = text_of(dig(document, "data", "wbi_img", field)) or ""
        match = _KEY.search(url.split("?", 1)[0])
        if not match:
            raise PageFormatError("no_wbi_keys", f"nav answer has no usable data.wbi_img.{field}")
        keys.append(match[1])
    return mixin_key(*keys)
