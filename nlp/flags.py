"""Review flags: crisis terms a handler must see at once, and spam.

- ``crisis:<term>`` for each crisis term found in the normalised text (``dicts/crisis.txt``
  by default: 食物中毒 爆炸 维权 曝光 315 律师函 召回 ...). Numbers match only as whole
  numbers (315 is not inside 3150).
- ``spam`` for advertising: a contact handle (a WeChat/QQ name or number: ``vx: abc123``,
  ``QQ 123456789``, ``扣扣 987654321``), two or more links (a link farm), contact bait
  (加微信, ＋VX, 私信我) in a text that complains about nothing, or selling words (代购 刷单
  兼职 ...) together with a link, contact bait, a long number or a second selling word. One
  selling word alone is not spam ("不是代购的正品"), and neither is a complaint that mentions
  a contact ("客服让我加微信处理，结果一直不回", "有同样问题的私信我一起维权").

The flag marks a review; it never changes what the review says (its sentiment stays the
model's), so a complaint mistaken for an ad still counts as a complaint.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from nlp import patterns
from nlp.normalize import normalize

CRISIS_FILE = Path(__file__).with_name("dicts") / "crisis.txt"
SPAM_FLAG = "spam"
CRISIS_PREFIX = "crisis:"

# The look-ahead names every character a match can start with: Python's re then skips the
# other positions at once instead of trying each alternative there (4× faster on a batch).
_CONTACT = re.compile(
    r"(?=[加+➕微薇vwq扣粉私])"
    r"(?:(?:加|\+|➕)\s*(?:我\s*)?(?:微信|薇信|薇|威信|扣扣|企鹅|(?:vx|wx|qq|v|q)(?![a-z]))"
    r"|(?:qq|微信|粉丝)群|私信我|私聊我)",
    re.IGNORECASE)
# A contact word followed by the handle itself: what an ad needs and a complaint rarely gives.
_HANDLE = re.compile(
    r"(?=[微薇威vwq扣企])"
    r"(?:微信|薇信|威信|vx|wx|v信|qq|扣扣|企鹅|(?<![a-z])[vq](?![a-z]))\s*(?:号|群)?\s*[:：]?\s*"
    r"(?=[a-z0-9_\-]*\d)[a-z0-9_\-]{5,}",
    re.IGNORECASE)
# What a complaint about a contact says: bait in such a text is the complaint's subject.
_COMPLAINT = re.compile(
    r"客服|售后|差评|投诉|维权|退款|退货|不回|没人回|骗|问题|处理|商家|卖家|店家|理赔|赔偿")
_SELLING = re.compile(
    r"代购|刷单|兼职|日赚|日结|返利|免费领|免费送|点击链接|戳链接|招代理|加盟|优惠券|福利群"
    r"|低价出|贷款|网贷|博彩|彩票|月入", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{6,}")


def read_terms(path: Path = CRISIS_FILE) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class Flagger:
    """Computes a review's crisis and spam flags."""

    def __init__(self, crisis_terms: Iterable[str] | None = None):
        terms = read_terms() if crisis_terms is None else crisis_terms
        normalised = dict.fromkeys(t for t in (normalize(w).text.lower() for w in terms) if t)
        self.crisis_terms = tuple(normalised)
        alternatives = []
        for term in sorted(self.crisis_terms, key=len, reverse=True):
            head = r"(?<![0-9a-z])" if term[0].isascii() and term[0].isalnum() else ""
            tail = r"(?![0-9a-z])" if term[-1].isascii() and term[-1].isalnum() else ""
            alternatives.append(head + re.escape(term) + tail)
        self._crisis = (patterns.alternation(alternatives, (t[0] for t in self.crisis_terms))
                        if alternatives else None)

    def crisis(self, text_norm: str) -> list[str]:
        """``crisis:<term>`` flags, in order of first occurrence."""
        if self._crisis is None:
            return []
        found = dict.fromkeys(m.group() for m in self._crisis.finditer(text_norm.lower()))
        return [CRISIS_PREFIX + term for term in found]

    def is_spam(self, original: str, text_norm: str) -> bool:
        """Judged on the original text (links are gone from the normalised one) and on the
        normalised text (full-width and traditional variants are folded there)."""
        if len(patterns.URL.findall(original)) >= 2 or _HANDLE.search(text_norm):
            return True
        bait = _CONTACT.search(text_norm) is not None
        selling = len(_SELLING.findall(text_norm))
        if not selling:
            return bait and not _COMPLAINT.search(text_norm)
        return (selling >= 2 or bait or patterns.URL.search(original) is not None
                or _LONG_NUMBER.search(text_norm) is not None)

    def flags(self, original: str, text_norm: str) -> list[str]:
        return self.crisis(text_norm) + ([SPAM_FLAG] if self.is_spam(original, text_norm) else [])

    def flags_many(self, originals: Sequence[str], texts_norm: Sequence[str]) -> list[list[str]]:
        """``flags`` of each pair. Each pattern first runs once over the whole batch; only
        the texts in which one was found are looked at on their own (most have nothing)."""
        found = patterns.texts_matching(patterns.URL, originals)
        for pattern in (_CONTACT, _HANDLE, _SELLING):
            found |= patterns.texts_matching(pattern, texts_norm)
        if self._crisis is not None:
            found |= patterns.texts_matching(self._crisis, texts_norm, lower=True)
        return [self.flags(originals[i], texts_norm[i]) if i in found else []
                for i in range(len(texts_norm))]

