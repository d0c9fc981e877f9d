"""Constructions a bag of character n-grams cannot read, as rules around the model.

The sentiment model (``nlp.sentiment``) sees which n-grams occur, not how they are put
together; the labelled corpora have too few examples of these constructions to learn them.
Each rule is narrow and is measured on its own hand-written test set
(tests/nlp/data/hard_constructions.csv, ``python -m benchmarks nlp-hard``):

- **double negation** (``不是不好``, ``没有不满意``, ``并非不``) and ``不是一般的X`` are rewritten
  before the model reads the text (``不是不好`` → ``好``, ``不是一般的差`` → ``非常差``);
- **sarcasm**: a praise word in quotes (“好” 服务, “正品”) and ``好评个鬼/屁`` make a text
  negative; so do an opening ``呵呵`` before words that are not praise, and an exaggerated
  praise (``真是太…了``, ``…到家了``) beside a clause the model reads as negative;
- **contrast**: in a short text with one strong contrast, the part after it carries the
  verdict when the model reads it as positive or negative: after ``但是 可是 然而 可惜``
  always, after ``不过 结果 没想到 反而`` only following a concession (``虽然 尽管 本以为
  一开始``...). A plain ``A，就是B`` is left to the model: there the reservation is minor;
- **hedged neutral**: a hedge (``还行 一般般 中规中矩 凑合 马马虎虎``...) with no other
  sentiment word in a short text is neutral; with faces of one polarity beside it and no
  other word ("还行吧😡"), the face says which way it leans;
- **star rating**: a rating of 2 or less with words that are not clearly positive is negative
  (the rating is the reviewer's own verdict; a 1-star "非常好用" is left alone, since it is more
  likely a slip).

Every rule looks only at texts a prefilter regex matches, so the common text costs one regex
search over the batch per rule.
"""
from __future__ import annotations

import bisect
import itertools
import re

from nlp import patterns
from nlp.cues import cue_counts
from nlp.features import model_text
from nlp.patterns import literal_alternation

# --- double negation ---------------------------------------------------------------------
_DOUBLE_NEGATION = re.compile(r"(?:不是|并不是|并非|不能说|没有|没)不(?=[\u4e00-\u9fff])"
                              r"|不是一般的|不是一般地|(?<![^\x00])(?:就是|只是)(?=[^\x00]{2})"
                              r"|不得不说|不失为")
# (?<![^\x00]) is "at the start of a text" (also in a batch joined by NUL). What a batch is
# searched for first (``nlp.patterns.texts_matching``) is a plain literal alternation, which
# re scans at C speed; ``rewrite`` then applies the exact pattern.
_REWRITE_TRIGGERS = ["不是不", "并不是不", "并非不", "不能说不", "没有不", "没不", "不是一般",
                     "不得不说", "不失为", "就是", "只是"]
REWRITE_PREFILTER = literal_alternation(_REWRITE_TRIGGERS)


_REPLACEMENTS = {"不是一般的": "非常", "不是一般地": "非常", "不失为": "是"}


def _undo(match: re.Match) -> str:
    return _REPLACEMENTS.get(match.group(), "")


def rewrite(text: str) -> str:
    """What the model should read: double negations removed (``不是不好`` → ``好``),
    ``不是一般的X`` → ``非常X``, and a leading ``就是``/``只是`` (a clause cut after a verdict:
    "就是价格有点贵") dropped, since the corpora's "不错，就是…" make 就是 read positive.
    Other texts come back unchanged."""
    return _DOUBLE_NEGATION.sub(_undo, text)


# --- sarcasm -----------------------------------------------------------------------------
# Praise or promise words that, quoted, are said with a sneer ("好"服务, "正品").
_PROMISES = ("好 快 新 全新 正品 原装 高端 豪华 次日达 准时 良心 专业 上门 保证 无理由 品质 旗舰 "
             "包邮 惊喜 流畅 耐用 新鲜 干净 贴心 实惠 划算 物美价廉 安静 及时 耐心 优质 五星 "
             "极速 秒回 靠谱 送货上门 品质保证 七天无理由").split()
_QUOTED = re.compile(r"[\"“”'‘’「『]([^\"“”'‘’「」『』]{1,6})[\"“”'‘’」』]")
_CURSE = re.compile(r"(?:好评|好|满意|推荐|正品|值|优秀|五星)个(?:鬼|屁|毛线|毛|锤子|球|蛋|头)")
# 呵呵 opening a text is a sneer ("呵呵，客服说是我弄坏的"); after praise it is a friendly
# laugh ("东西很满意 呵呵"), so only an opening one counts, and only when the rest is not praise.
_SNEER = re.compile(r"^呵呵+[哒]?(?:[,，。!！~…\s]|$)")
# Exaggerated praise: 真是太好了, 真是好到家了, 好得很, 太感谢了; with a complaint beside it.
_EXAGGERATED = re.compile(r"(?:真是|真的是|可真是|实在是|简直)太?[^,，。!！?？]{1,4}?了|"
                          r"[^,，。!！?？]{1,4}到家了|好得很|真是服了|太感谢了|太谢谢了")
MAX_RULE_LENGTH = 60  # characters: sarcasm and concession rules read short texts only; in a
                      # long review the model weighs its many clauses better than one rule
_SARCASM_TRIGGERS = [*"\"“”'‘’「『", *(f"个{c}" for c in "鬼屁毛锤球蛋头"), "呵呵", "真是",
                     "真的是", "实在是", "简直", "到家了", "好得很", "太感谢", "太谢谢"]
SARCASM_PREFILTER = literal_alternation(_SARCASM_TRIGGERS)


def quoted_praise(text: str) -> bool:
    """A short quoted span holding a praise or promise word: “好”服务, "正品"."""
    for match in _QUOTED.finditer(text):
        inside = match.group(1)
        if len(inside) <= 4 and (any(word in inside for word in _PROMISES)
                                 or cue_counts(inside)[0] > 0):
            return True
    return False


def sarcasm(text: str) -> str | None:
    """``"sure"`` when the text is sarcastic whatever the rest says (quoted praise, 好评个鬼),
    ``"if-rest-not-positive"`` for an opening 呵呵, ``"if-rest-negative"`` for exaggerated
    praise (真是太好了) that is sarcastic only when the rest of the text complains
    (``rest_after_praise``), None otherwise. Texts over ``MAX_RULE_LENGTH``: None."""
    if len(text) > MAX_RULE_LENGTH or not SARCASM_PREFILTER.search(text):
        return None
    if _CURSE.search(text) or quoted_praise(text):
        return "sure"
    if _SNEER.search(text):
        return "if-rest-not-positive"
    if _EXAGGERATED.search(text):
        return "if-rest-negative"
    return None


def rest_after_praise(text: str) -> str:
    """The text without its exaggerated-praise clauses and its opening 呵呵 (what the
    complaint, if any, is in)."""
    parts = [p for p in re.split(r"[,，。!！?？;；~…\s]+", _SNEER.sub("", text)) if p]
    kept = [p for p in parts if not _EXAGGERATED.search(p)]
    return "，".join(kept)


# --- contrast ------------------------------------------------------------------------------
_CONCESSION = re.compile(r"虽然|虽说|虽|尽管|本以为|原以为|本来|以为|一开始|刚开始|起初|开始还|"
                         r"之前|看着|看起来|刚用")
_STRONG_CONTRAST = re.compile(r"但是|可是|不过(?!不失)|然而|可惜|没想到|结果|反而|其实|但(?![愿凡])")
# These carry the verdict even without a concession before them ("颜值很高，然而拍照太糊了");
# the others (不过, 结果, 没想到, 反而, 其实) only after one, or "A，不过B" would always be B.
_VERDICT_CONTRAST = frozenset({"但是", "可是", "然而", "可惜", "但"})
_CONTRAST_TRIGGERS = ["但", "可是", "不过", "然而", "可惜", "没想到", "结果", "反而", "其实"]
CONTRAST_PREFILTER = literal_alternation(_CONTRAST_TRIGGERS)


def contrast_tail(text: str) -> str | None:
    """The part after the last strong contrast of a concessive text (虽然A，但是B → B), or
    None when the text has no concession before a strong contrast."""
    if len(text) > MAX_RULE_LENGTH:
        return None
    found = list(_STRONG_CONTRAST.finditer(text))
    if len(found) != 1:  # several turns: the model weighs them better than the last one
        return None
    last = found[0]
    head, tail = text[:last.start()], text[last.end():]
    if len(tail.strip(" ,，。!！~…")) < 2:
        return None
    if last.group() not in _VERDICT_CONTRAST and not _CONCESSION.search(head) \
            and not (last.group() == "其实" and "差评" in head):
        return None
    return tail


# --- hedged neutral --------------------------------------------------------------------------
_HEDGES = ("还行 还可以 还算可以 还凑合 一般般 一般 中规中矩 凑合 马马虎虎 过得去 说得过去 不好不坏 "
           "不好也不坏 说不上好也说不上差 说不上好 说不上差 无功无过 平平无奇 普普通通 普通 就那样 "
           "也就那样 就那么回事 那么回事 不过不失 正常水平 中等水平 中等 没什么感觉 没什么特别 "
           "没什么亮点 没什么惊喜 没什么好说 可以吧 还好吧").split()
# 一般 is a hedge as a word of its own, not in a simile (梦魇一般) or 一般来说.
_HEDGE = re.compile("|".join(re.escape(h) if h != "一般" else
                             r"(?:(?<![\u4e00-\u9fff])|(?<=[很就较挺算觉量道务境能味般]))一般(?!来说|情况|人)"
                             for h in sorted(_HEDGES, key=len, reverse=True)))
HEDGE_PREFILTER = literal_alternation(_HEDGES)


# --- one scan for every rule --------------------------------------------------------------
def _trigger_kinds() -> dict[str, frozenset[str]]:
    """Every trigger phrase with the rules it may start, including the rules of the phrases
    inside it (a scan that matches 不是一般 does not also match 一般 there)."""
    own: dict[str, set[str]] = {}
    for kind, phrases in (("rewrite", _REWRITE_TRIGGERS), ("sarcasm", _SARCASM_TRIGGERS),
                          ("contrast", _CONTRAST_TRIGGERS), ("hedge", _HEDGES)):
        for phrase in phrases:
            own.setdefault(phrase, set()).add(kind)
    return {phrase: frozenset(k for other, kinds in own.items() if other in phrase
                              for k in kinds) for phrase in own}


_KINDS_OF = _trigger_kinds()
TRIGGERS = literal_alternation(sorted(_KINDS_OF, key=len, reverse=True))


def triggered(texts) -> dict[int, set[str]]:
    """``{index: rules}`` for the texts in which a rule's trigger phrase occurs, by one search
    over the batch joined by NUL (no trigger contains it). A rule runs only where it is
    triggered; each rule then checks its text exactly. (Two trigger phrases overlapping
    without one containing the other, e.g. 其实在是, trigger only the first: a rule can be
    missed there, never run where it should not.)"""
    joined = "\x00".join(texts)
    out: dict[int, set[str]] = {}
    starts = None  # each text's offset in ``joined``, once there is a match to place
    for match in TRIGGERS.finditer(joined):
        if starts is None:
            starts = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
        i = bisect.bisect_right(starts, match.start()) - 1
        out.setdefault(i, set()).update(_KINDS_OF[match.group()])
    return out
MAX_HEDGED_LENGTH = 30  # characters: a longer text has more to say than its hedge


def hedged(text: str) -> bool:
    """A short text whose only sentiment is a hedge: 还行吧, 一般般没什么特别的, 中规中矩."""
    return hedge_reading(text) == "neutral"


def hedge_leaning(text: str) -> str | None:
    """``negative``/``positive`` for a short hedge whose only other sentiment is emoticons or
    emoji of one polarity ("还行吧😡", "一般般[怒]", "还行[赞]"): the face says which way the
    hedge leans. None otherwise (a bare hedge, words beside it, faces of both kinds)."""
    reading = hedge_reading(text)
    return None if reading == "neutral" else reading


def hedge_reading(text: str) -> str | None:
    """What a short hedge says, read once: ``neutral`` when the hedge is its only sentiment
    (``hedged``), ``negative``/``positive`` when faces of one polarity beside it say which
    way it leans (``hedge_leaning``), None otherwise (no hedge, a long text, words beside it,
    faces of both kinds)."""
    if len(text) > MAX_HEDGED_LENGTH or not _HEDGE.search(text):
        return None
    rest = _HEDGE.sub("，", text)
    counts = cue_counts(model_text(rest))  # 😡 and [怒] read as 差评: not a bare hedge
    if not any(counts):
        return "neutral"
    faceless = patterns.EMOTICON.sub("，", patterns.EMOJI.sub("，", rest))
    if faceless == rest or any(cue_counts(model_text(faceless))):
        return None
    positive, negative = counts[0] + counts[3], counts[1] + counts[2]
    if negative and not positive:
        return "negative"
    if positive and not negative:
        return "positive"
    return None


# --- star ratings -----------------------------------------------------------------------------
LOW_STARS = 2.0        # a rating at or below this is the reviewer saying "bad"
SLIP_SCORE = 0.9       # a low-rated text this positive, with praise words and no hedge, is
                       # more likely a slip of the rating than a complaint


def star_label(label: str, score: float, rating: float | None, text: str) -> str:
    """The label once the star ``rating`` (0–5) is heard: a low rating turns a label that is
    not clearly positive into negative."""
    if rating is None or rating > LOW_STARS or label == "negative":
        return label
    if label == "positive" and score >= SLIP_SCORE and not hedged(text):
        counts = cue_counts(model_text(text))
        if counts[0] + counts[3] > 0 and counts[1] + counts[2] == 0:
            return label
    return "negative"
