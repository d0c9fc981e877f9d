"""Text normalisation for analysis: one canonical form whatever the platform and script.

``normalize(text)`` returns the text the rest of ``nlp`` works on, and the script it was
written in. The caller keeps the original text; the normalised text is for analysis only:

- HTML tags are stripped and entities decoded; an ``<img alt="[怒]">`` keeps its emoticon;
- control and format characters are removed (the zero-width joiner inside emoji is kept);
- full-width ASCII becomes half-width (！ → !, ＡＢＣ → ABC) and the ideographic space a space;
- URLs and @mentions are removed (they are neither sentiment nor topic);
- traditional characters become simplified (OpenCC ``t2s`` to detect them; a traditional
  text is then converted with ``tw2sp``, which also maps Taiwan vocabulary: 螢幕 → 屏幕);
- a punctuation mark repeated is written once (！！！ → !, 。。。 → 。);
- whitespace runs become one space; leading and trailing whitespace is dropped.

Platform emoticons (``[赞]``) and emoji are kept as written. Every step is linear in the
length of the text, so a 100,000-character review costs milliseconds.
"""
from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import Sequence

from nlp import patterns

_IMG_EMOTICON = re.compile(r"""<img\b[^<>]*?\balt=["']?(\[[^\[\]"'<>\s]{1,8}\])[^<>]*>""",
                           re.IGNORECASE)
_BLOCK_TAG = re.compile(r"<(?:br|/?p|/?div|/?li)\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_CHARACTER_TABLE = {**patterns.CONTROLS, **patterns.FULL_WIDTH}
# The same table for str.translate as a list indexed by code point (BMP only): a dict makes
# translate raise and swallow a KeyError for every character it leaves alone, which costs
# twice the whole lookup. Characters past the list are left alone by translate; the few
# of them in the table (the language tag U+E0001) are replaced separately.
_BMP_TABLE: list = [_CHARACTER_TABLE.get(code, code) for code in range(0x10000)]
_ASTRAL_TABLE = {chr(code): chr(value) if isinstance(value, int) else (value or "")
                 for code, value in _CHARACTER_TABLE.items() if code >= 0x10000}

# Characters OpenCC rewrites that simplified writers use too (乾隆, 覆盖, 什麽 typed by
# simplified input methods...). On their own they do not make a text traditional.
_SHARED_CHARACTERS = frozenset("乾覆麽麼菸侷捱傢著瞭於祇甚餘隻彷佔")
# Joins a batch: a private-use character, so no pattern below (URL, mention, CJK, punctuation,
# whitespace, emoji) matches it and OpenCC has no phrase containing it.
_SEPARATOR = "\ue000"

_converters: dict[str, object] = {}
_converter_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str    # normalised for analysis
    script: str  # "zh-Hans" | "zh-Hant" | "other", judged on the text as written


def _opencc(config: str):
    if config not in _converters:
        with _converter_lock:
            if config not in _converters:
                import opencc
                _converters[config] = opencc.OpenCC(config)
    return _converters[config]


def strip_markup(text: str) -> str:
    """Remove HTML tags and decode entities; emoticon images keep their ``[name]`` alt text."""
    if "<" in text:
        text = _IMG_EMOTICON.sub(r"\1", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def detect_script(original: str, simplified: str) -> str:
    """``zh-Hant`` when t2s changed a character that only traditional writing uses,
    ``zh-Hans`` when there is other CJK, else ``other``."""
    if original != simplified:
        if len(original) == len(simplified):
            changed = (a for a, b in zip(original, simplified) if a != b)
        else:  # a phrase conversion changed the length: compare the character sets
            changed = iter(set(original) - set(simplified))
        if any(ch not in _SHARED_CHARACTERS for ch in changed):
            return "zh-Hant"
    return "zh-Hans" if patterns.has_cjk(simplified) else "other"


def normalize(text: str) -> Normalized:
    """Return ``text`` normalised for analysis and its script. ``None`` counts as empty."""
    return normalize_many([text])[0]


def normalize_many(texts: Sequence[str | None]) -> list[Normalized]:
    """``normalize`` of each text, in order. Each step runs once over the whole batch joined
    by a separator that no step matches or lets a match cross (one OpenCC call per batch is
    half the cost of one per text); a batch in which a text contains the separator itself
    is normalised text by text."""
    if not texts:
        return []
    pieces = [strip_markup(text) if text else "" for text in texts]
    joined = _SEPARATOR.join(pieces)
    if len(pieces) > 1 and joined.count(_SEPARATOR) != len(pieces) - 1:
        return [normalize_many([text])[0] for text in texts]
    joined = joined.translate(_BMP_TABLE)
    for character, replacement in _ASTRAL_TABLE.items():
        if character in joined:
            joined = joined.replace(character, replacement)
    joined = patterns.URL.sub(" ", joined)
    if "@" in joined:
        joined = patterns.MENTION.sub(" ", joined)
    originals = joined.split(_SEPARATOR)
    simplified = _opencc("t2s").convert(joined).split(_SEPARATOR) \
        if patterns.has_cjk(joined) else originals
    if len(simplified) != len(originals):  # OpenCC let a conversion cross the separator
        simplified = [_opencc("t2s").convert(text) for text in originals]
    scripts = []
    for i, (original, converted) in enumerate(zip(originals, simplified)):
        if original != converted and not patterns.has_cjk(original):
            simplified[i] = converted = original  # only text with CJK is converted
        script = detect_script(original, converted)
        if script == "zh-Hant":
            # Traditional text also gets Taiwan/HK vocabulary mapped (螢幕 → 屏幕, 軟體 → 软件),
            # so it reads like the simplified reviews the model and the dictionaries know.
            simplified[i] = _opencc("tw2sp").convert(original)
        scripts.append(script)
    joined = patterns.REPEATED_PUNCTUATION.sub(r"\1", _SEPARATOR.join(simplified))
    if "\u200d" in joined:
        joined = patterns.STRAY_JOINER.sub("", joined)
    joined = patterns.WHITESPACE.sub(" ", joined)
    return [Normalized(text.strip(), script)
            for text, script in zip(joined.split(_SEPARATOR), scripts)]
