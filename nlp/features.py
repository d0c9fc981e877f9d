"""Feature functions of the sentiment pipeline.

These are named module-level functions because the trained pipeline is pickled with a
reference to them: renaming or moving one breaks every shipped artifact (``SentimentModel``
then raises ``ModelLoadError``). Change their behaviour only together with a retrained model.
"""
from __future__ import annotations

from nlp import patterns

# Emoji carry sentiment the training reviews express in words; give the character n-grams
# those words. Bracketed like a platform emoticon so [怒] and 😡 look alike to the model.
EMOJI_CUES = {
    "👍": "[赞]", "👎": "[踩]", "👏": "[鼓掌]", "💪": "[加油]", "🙏": "[谢谢]",
    "❤": "[爱心]", "💔": "[心碎]", "🎉": "[庆祝]", "💯": "[满分]", "🌹": "[玫瑰]",
    "😀": "[哈哈]", "😃": "[哈哈]", "😄": "[哈哈]", "😁": "[开心]", "😊": "[微笑]",
    "🙂": "[微笑]", "😍": "[喜欢]", "🥰": "[喜欢]", "😘": "[亲亲]", "😂": "[笑哭]",
    "🤣": "[笑哭]", "😆": "[开心]", "🤩": "[好棒]",
    "😡": "[怒]", "😠": "[怒]", "🤬": "[怒骂]", "😤": "[哼]", "😭": "[大哭]",
    "😢": "[泪]", "😞": "[失望]", "😔": "[失望]", "🙄": "[白眼]", "🤮": "[吐]",
    "🤢": "[恶心]", "💩": "[垃圾]", "😒": "[不屑]", "😩": "[累]", "😫": "[累]",
    "😓": "[汗]", "😅": "[汗]", "🤔": "[疑问]", "😱": "[吃惊]", "😰": "[担心]",
}


# The labelled corpora have almost no emoticons, so the model cannot learn what [怒] means
# (alone it scored positive). Each emoticon of clear polarity is followed by the review word
# for it, which the corpora teach well: "还行吧[怒]" reads "还行吧[怒]差评". Ambiguous ones
# ([笑哭] [汗] [疑问] [吃惊]) get nothing.
_POSITIVE = "[赞] [鼓掌] [加油] [谢谢] [爱心] [庆祝] [满分] [玫瑰] [哈哈] [开心] [微笑] [喜欢] [亲亲] " \
            "[好棒] [强] [good] [ok] [耶] [可爱] [太开心] [给力] [威武] [心]"
_NEGATIVE = "[踩] [心碎] [怒] [怒骂] [哼] [大哭] [泪] [失望] [白眼] [吐] [恶心] [垃圾] [不屑] [累] " \
            "[抓狂] [生气] [鄙视] [衰] [弱] [差评] [伤心] [委屈] [晕] [拜拜]"
EMOTICON_CUES = {**dict.fromkeys(_POSITIVE.split(), "好评"), **dict.fromkeys(_NEGATIVE.split(), "差评")}


def _cue(match) -> str:
    cluster = match.group()
    return EMOJI_CUES.get(cluster[0], cluster)


def _polarity(match) -> str:
    emoticon = match.group()
    return emoticon + EMOTICON_CUES.get(emoticon, "")


def model_text(text: str) -> str:
    """The sentiment model's view of normalised text: Latin lower-cased, known emoji replaced
    by their emoticon word (👍 → [赞]), emoticons of clear polarity followed by the review word
    for it ([怒] → [怒]差评)."""
    text = text.lower()
    if not text.isascii():
        text = patterns.EMOJI.sub(_cue, text)
    if "[" in text:
        text = patterns.EMOTICON.sub(_polarity, text)
    return text


def model_text_many(texts: list[str]) -> list[str]:
    """``model_text`` of every text, in one call over the batch joined by NUL when no text
    holds one (NUL is no letter, space or emoji, so nothing ``model_text`` does crosses it)."""
    if not texts:
        return []
    joined = "\x00".join(texts)
    if joined.count("\x00") == len(texts) - 1:
        return model_text(joined).split("\x00")
    return [model_text(t) for t in texts]
