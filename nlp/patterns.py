"""Character classes and patterns shared by normalisation and segmentation.

Kept in one place so that what ``normalize`` keeps (platform emoticons such as ``[怒]``, emoji
clusters) is exactly what ``segment`` treats as one token.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from typing import Iterable, Sequence

# Platform emoticons: a short bracketed name, as Weibo/Bilibili/WeChat render them ([怒] [赞]
# [doge] [笑哭]). Bracketed runs with spaces or more than 8 characters are ordinary text.
EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")

# One emoji cluster: a pictograph with its variation selector, skin tone, keycap and ZWJ
# continuations (👍🏻, 👨‍👩‍👧, ❤️), or a pair of regional indicators (a flag).
_PICTO = ("\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u2190-\u21FF"
          "\u3297\u3299\u00A9\u00AE\u203C\u2049\u2122\u2139")
_MODS = "\uFE0F\uFE0E\u20E3\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F"
EMOJI = re.compile(
    rf"[\U0001F1E6-\U0001F1FF]{{2}}"
    rf"|[{_PICTO}][{_MODS}]*(?:\u200D[{_PICTO}][{_MODS}]*)*")

# Every emoticon and emoji cluster starts with one of these: a text without any has neither
# (one character class is scanned at C speed; the alternations above are not).
PROTECTED_START = re.compile(rf"[\[\U0001F1E6-\U0001F1FF{_PICTO}]")

# A zero-width joiner that does not join two emoji is noise left over from copy-paste.
STRAY_JOINER = re.compile(rf"(?<![{_PICTO}{_MODS}])\u200D|\u200D(?![{_PICTO}])")

# Runs of CJK ideographs (basic, extension A, compatibility, extensions B and later).
CJK = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003134F]")

# URLs are ASCII: stop at the first non-URL character so that Chinese text written straight
# after a link survives. Brackets are excluded so a following emoticon is left intact.
URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+", re.IGNORECASE)
# @mentions (and the "回复@名字:" reply prefix); an e-mail address is not a mention.
MENTION = re.compile(r"(?:回复)?(?<![A-Za-z0-9._%+\-])@[\w\-·]{1,30}:?")


def _punctuation() -> str:
    chars = [chr(c) for c in range(0x10000)
             if unicodedata.category(chr(c)).startswith("P") and not 0xD800 <= c < 0xE000]
    return "".join(chars) + "~^"


PUNCTUATION = frozenset(_punctuation())
# The same punctuation mark twice or more (！！！, 。。。, ~~~, ??).
REPEATED_PUNCTUATION = re.compile(
    "([" + "".join(re.escape(c) for c in sorted(PUNCTUATION)) + r"])\1+")


def _removable_controls() -> dict[int, str | None]:
    """Control, format and surrogate code points: whitespace-like ones become a space, the
    rest are dropped. The zero-width joiner is kept because emoji sequences need it."""
    table: dict[int, str | None] = {}
    ranges = [range(0x10000), range(0xE0000, 0xE0080)]
    for block in ranges:
        for code in block:
            category = unicodedata.category(chr(code))
            if category in ("Cc", "Cf", "Cs") and code != 0x200D:
                table[code] = None
    for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029):
        table[code] = " "
    # Emoji tag sequences (subdivision flags) use E0020-E007F; keep them with their emoji.
    for code in range(0xE0020, 0xE0080):
        table.pop(code, None)
    return table


CONTROLS = _removable_controls()

# Full-width ASCII (！ → !, ＡＢ → AB, １ → 1) and the ideographic space. Deliberately not NFKC:
# NFKC would also rewrite ① ㎡ ™ … and half-width katakana, which carry meaning as written.
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
FULL_WIDTH[0x3000] = 0x20

WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)  # tokens repeat: most calls are cache hits
def is_punctuation(token: str) -> bool:
    """True when every character of ``token`` is punctuation or a symbol (not an emoji)."""
    return bool(token) and all(ch in PUNCTUATION or unicodedata.category(ch) in ("Sm", "Sk")
                               for ch in token)


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def alternation(alternatives: list[str], first_chars: Iterable[str]) -> re.Pattern:
    """One regex for many alternatives, with a look-ahead on the characters they can start
    with: Python's ``re`` tries every alternative at every position, and the look-ahead
    lets it skip most positions at once (several times faster on review-length text)."""
    first = "".join(sorted({re.escape(ch) for ch in first_chars}))
    return re.compile(f"(?=[{first}])(?:{'|'.join(alternatives)})")



def literal_alternation(phrases: list[str]) -> re.Pattern:
    """One regex for many literal phrases, tried in the given order at each position, like
    ``a|b|c``, but grouped by first character (``质(?:量|感)|物(?:流|超所值)``): each
    alternative then opens with a literal, so ``re`` jumps between the positions where a
    phrase can start at C speed and tries only the phrases starting there."""
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        groups.setdefault(phrase[0], []).append(re.escape(phrase[1:]))
    return re.compile("|".join(f"{re.escape(first)}(?:{'|'.join(rests)})"
                               for first, rests in groups.items()))

def texts_matching(pattern: re.Pattern, texts: Sequence[str], lower: bool = False) -> set[int]:
    """Indices of the ``texts`` (lower-cased first if ``lower``) in which ``pattern`` is
    found, by one search over the batch joined by NUL. ``pattern`` must not be able to match
    NUL: then no match crosses from one text into the next, a look-behind or look-ahead at a
    text's edge sees what it would see at the string's edge, and each match maps back to its
    text by position."""
    joined = "\x00".join(texts)
    if lower:
        joined = joined.lower()
        if len(joined) != sum(map(len, texts)) + max(len(texts) - 1, 0):
            # Lower-casing changed a length (İ → i̇): positions no longer line up.
            return set(range(len(texts)))
    found = [match.start() for match in pattern.finditer(joined)]  # one scan of the batch
    if not found:
        return set()
    starts = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
    return {bisect.bisect_right(starts, at) - 1 for at in found}
