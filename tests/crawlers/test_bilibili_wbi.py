"""bilibili WBI signing against the public recorded example (the keys of one day and the
signature the site's page script gave for them)."""
from __future__ import annotations

import json

import pytest

from crawlers.exceptions import PageFormatError
from crawlers.spiders import bilibili_wbi

IMG, SUB = "7cd084941338484aae1ad9425b84077c", "4932caff0ff746eab6f01bf08b70ac45"
NAV = {"code": -101, "message": "账号未登录", "data": {"isLogin": False, "wbi_img": {
    "img_url": f"https://i0.hdslb.com/bfs/wbi/{IMG}.png",
    "sub_url": f"https://i0.hdslb.com/bfs/wbi/{SUB}.png"}}}


def test_recorded_example():
    mixin = bilibili_wbi.mixin_key(IMG, SUB)
    assert mixin == "ea1db124af3c7062474693fa704f4ff8"
    query = bilibili_wbi.signed_query({"foo": "114", "bar": "514", "zab": 1919810}, mixin,
                                      1702204169)
    assert query == ("bar=514&foo=114&wts=1702204169&zab=1919810"
                     "&w_rid=8f6f2b5b3d485fe1886cec6a0be8c5d4")


def test_values_are_cleaned_and_encoded_before_signing():
    mixin = bilibili_wbi.mixin_key(IMG, SUB)
    odd = bilibili_wbi.signed_query({"q": "a b!(c)*'", "p": '{"offset":""}'}, mixin, 1)
    assert odd.startswith("p=%7B%22offset%22%3A%22%22%7D&q=a%20bc&wts=1&w_rid=")
    assert odd == bilibili_wbi.signed_query({"q": "a bc", "p": '{"offset":""}'}, mixin, 1)


def test_keys_from_the_nav_answer_without_login():
    body = json.dumps(NAV).encode()
    assert bilibili_wbi.keys_from_nav(body) == "ea1db124af3c7062474693fa704f4ff8"
    NAV_BROKEN = {"code": -101, "data": {"wbi_img": {"img_url": "javascript:alert(1)"}}}
    with pytest.raises(PageFormatError, match="no_wbi_keys"):
        bilibili_wbi.keys_from_nav(json.dumps(NAV_BROKEN).encode())
