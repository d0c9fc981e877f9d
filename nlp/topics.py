"""Topics: what a review talks about, by keyword, several per review.

The default taxonomy covers e-commerce, phones, food and hotels. A config entity adds its
own keywords (``EntityConfig.topics``: topic → keywords, new topics or extra keywords for
existing ones) for the reviews about it. Keywords of two characters or more match anywhere
in the normalised text; a one-character keyword (贵, 脏) only as a whole token, since inside
another word it usually means something else (宝贵 and 贵州 are not about price).
"""
from __future__ import annotations

import bisect
import itertools
import re
from typing import Callable, Iterable, Mapping, Sequence

from nlp import patterns
from nlp.normalize import normalize

_SEPARATOR = "\x00"  # joins a batch: no keyword contains it (normalisation removes it)

DEFAULT_TOPICS: dict[str, tuple[str, ...]] = {
    "物流配送": ("物流", "快递", "配送", "发货", "到货", "送货", "派送", "顺丰", "包邮", "运费",
             "签收", "送达", "快递员", "骑手", "送餐", "外卖小哥"),
    "产品质量": ("质量", "品质", "做工", "材质", "瑕疵", "破损", "坏了", "故障", "次品", "残次",
             "掉漆", "开胶", "起球", "掉色", "褪色", "假货", "正品", "耐用", "结实", "粗糙", "翻新"),
    "价格": ("价格", "价钱", "性价比", "便宜", "实惠", "划算", "涨价", "降价", "优惠", "折扣",
           "差价", "保价", "物超所值", "不值", "智商税", "太贵", "很贵", "好贵", "挺贵", "偏贵", "不贵",
           "贵了", "昂贵", "贵"),
    "客服态度": ("客服", "态度", "不理人", "爱答不理", "不回复", "已读不回", "耐心", "热情",
             "礼貌", "敷衍", "推诿", "服务员", "前台"),
    "售后退换": ("售后", "退货", "退款", "换货", "维修", "保修", "返修", "退换", "质保", "三包",
             "七天无理由", "仅退款", "投诉"),
    "包装": ("包装", "盒子", "纸箱", "泡沫", "密封", "封口", "快递袋"),
    "功能性能": ("功能", "性能", "运行", "流畅", "卡顿", "死机", "闪退", "系统", "软件", "信号",
             "屏幕", "拍照", "像素", "音质", "好用", "难用", "反应慢", "发热", "发烫", "黑屏"),
    "外观设计": ("外观", "颜值", "设计", "颜色", "造型", "款式", "好看", "漂亮", "难看", "手感",
             "尺寸", "尺码", "大小"),
    "卫生安全": ("卫生", "干净", "脏", "头发丝", "虫子", "异物", "变质", "过期", "发霉",
             "食物中毒", "拉肚子", "蟑螂", "安全", "隐患", "甲醛"),
    "口味": ("口味", "味道", "好吃", "难吃", "口感", "新鲜", "分量", "份量", "咸", "淡", "辣", "甜"),
    "环境": ("环境", "装修", "噪音", "隔音", "安静", "位置", "交通", "设施", "房间", "空调",
           "卫生间", "景色", "吵"),
    "服务速度": ("上菜", "排队", "等了", "等待", "效率", "及时", "办理", "入住", "退房"),
    "电池续航": ("电池", "续航", "电量", "充电", "耗电", "掉电", "待机", "快充", "充电器"),
}


class Taxonomy:
    """Topics and their keywords; ``topics_for`` returns the matching topics in taxonomy order."""

    def __init__(self, topics: Mapping[str, Iterable[str]]):
        self.topics: dict[str, tuple[str, ...]] = {}
        for topic, words in topics.items():
            normalised = (normalize(w).text.lower() for w in words)
            self.topics[topic] = tuple(dict.fromkeys(w for w in normalised if w))
        self._order = {topic: i for i, topic in enumerate(self.topics)}
        self._phrase_topics: dict[str, set[str]] = {}
        self._token_topics: dict[str, set[str]] = {}
        for topic, words in self.topics.items():
            for word in words:
                table = self._token_topics if len(word) == 1 else self._phrase_topics
                table.setdefault(word, set()).add(topic)
        phrases = sorted(self._phrase_topics, key=len, reverse=True)
        singles = sorted(self._token_topics)
        self._single = re.compile(f"[{''.join(map(re.escape, singles))}]") if singles else None
        self._pattern = patterns.literal_alternation(phrases) if phrases else None

    def extended(self, extra: Mapping[str, Iterable[str]]) -> "Taxonomy":
        """This taxonomy plus ``extra`` keywords (new topics are appended)."""
        merged = {topic: list(words) for topic, words in self.topics.items()}
        for topic, words in extra.items():
            merged.setdefault(topic, []).extend(words)
        return Taxonomy(merged)

    def matches(self, text: str, tokens: Sequence[str] = (),
                starts: Sequence[int] = ()) -> list[tuple[int, int, str]]:
        """``(position in text, rank, topic)`` for every keyword found: phrases anywhere in
        ``text``, one-character keywords as whole tokens (``starts``: each token's position).
        ``rank`` is the topic's place in this taxonomy. One pass over the text gives the
        topics of the text and, by position, of each of its clauses."""
        return self.matches_many([text], lambda i: starts)[0]

    def matches_many(self, texts: Sequence[str], starts: Callable[[int], Iterable[int]]
                     ) -> list[list[tuple[int, int, str]]]:
        """``matches`` of each text, by one search of each pattern over the batch joined by a
        separator no keyword contains. ``starts(i)``: where text ``i``'s tokens start (asked
        only for a text in which a one-character keyword is found)."""
        found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        lowered = _SEPARATOR.join(texts).lower()
        offsets = list(itertools.accumulate((len(t) + 1 for t in texts), initial=0))
        if len(lowered) != offsets[-1] - 1 and len(texts) > 1:
            # Lower-casing changed a length (İ → i̇): positions would not line up.
            return [self.matches_many([text], lambda _, i=i: starts(i))[0]
                    for i, text in enumerate(texts)]
        order, where = self._order, bisect.bisect_right
        if self._pattern is not None:
            for match in self._pattern.finditer(lowered):
                i = where(offsets, match.start()) - 1
                for topic in self._phrase_topics[match.group()]:
                    found[i].append((match.start() - offsets[i], order[topic], topic))
        if self._single is not None:
            # A one-character keyword counts where it is a whole token: a token starts there
            # and the next one (or a space, or the end) right after it.
            boundaries: dict[int, set[int]] = {}
            for match in self._single.finditer(lowered):
                i = where(offsets, match.start()) - 1
                text, at = texts[i], match.start() - offsets[i]
                if i not in boundaries:
                    boundaries[i] = set(starts(i))
                if at in boundaries[i] and (at + 1 in boundaries[i] or at + 1 == len(text)
                                            or text[at + 1].isspace()):
                    for topic in self._token_topics[match.group()]:
                        found[i].append((at, order[topic], topic))
        return found

    def topics_for(self, text: str, tokens: Sequence[str] = ()) -> list[str]:
        """Topics of normalised ``text`` (and its ``tokens``, for one-character keywords)."""
        found: set[str] = set()
        if self._pattern is not None and text:
            for match in self._pattern.finditer(text.lower()):
                found |= self._phrase_topics[match.group()]
        for token in tokens:
            found |= self._token_topics.get(token.lower(), set())
        return sorted(found, key=self._order.__getitem__)


_default: Taxonomy | None = None


def default_taxonomy() -> Taxonomy:
    global _default
    if _default is None:
        _default = Taxonomy(DEFAULT_TOPICS)
    return _default


def topics_for(text_or_tokens: str | Sequence[str],
               extra: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """Topics of a normalised text, or of a token list (joined), by the default taxonomy
    (plus ``extra`` keywords)."""
    taxonomy = default_taxonomy().extended(extra) if extra else default_taxonomy()
    if isinstance(text_or_tokens, str):
        from nlp.segment import segment
        return taxonomy.topics_for(text_or_tokens, segment(text_or_tokens))
    tokens = list(text_or_tokens)
    return taxonomy.topics_for("".join(tokens), tokens)
