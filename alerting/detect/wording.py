"""How a firing reads: durations, titles and the one-sentence summary in Chinese and English.

Titles and summaries are stored with the incident and sent as they are, so they are written
once, here, in both languages; the UI picks the one for the user's language.
"""
from __future__ import annotations

from datetime import timedelta

_UNITS_ZH = ((86400, "天"), (3600, "小时"), (60, "分钟"), (1, "秒"))
_UNITS_EN = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))

SPIKE_HEADLINE = "负面评论激增"
SPIKE_HEADLINE_EN = "negative reviews spiking"

# The title's headline for each rule type (the scope goes in front of it).
HEADLINES = {
    "negative_spike": SPIKE_HEADLINE, "negative_share": "负面评论占比升高",
    "volume_spike": "讨论量异常", "rating_drop": "评分下降", "emerging_topic": "新问题出现",
    "source_silent": "数据源无新评论", "crisis_keyword": "危机关键词",
}


POLARITIES = {"negative": "负面", "positive": "正面", "neutral": "中性"}


def aspect_text(key: str) -> str:
    """An aspect group as people read it: ``物流配送:negative`` → "物流配送·负面"."""
    topic, _, polarity = key.rpartition(":")
    return f"{topic}·{POLARITIES.get(polarity, polarity)}" if topic else key


def _largest_unit(span: timedelta, units: tuple[tuple[int, str], ...]) -> tuple[int, str]:
    seconds = max(int(span.total_seconds()), 0)
    for size, name in units:
        if seconds >= size and seconds % size == 0:
            return seconds // size, name
    return seconds, units[-1][1]


def zh_duration(span: timedelta) -> str:
    """``timedelta(minutes=3)`` → "3 分钟"; uses the largest unit that divides evenly."""
    n, unit = _largest_unit(span, _UNITS_ZH)
    return f"{n} {unit}"


def en_duration(span: timedelta) -> str:
    n, unit = _largest_unit(span, _UNITS_EN)
    return f"{n} {unit}" + ("" if n == 1 else "s")


def ratio_text(ratio: float) -> str:
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}"


def title(scope: str, headline: str) -> str:
    return f"{scope} {headline}" if scope else headline


def scoped(scope: str, zh: str, en: str) -> tuple[str, str]:
    """The (Chinese, English) summary sentences, led by the scope when there is one."""
    return (f"{scope}：{zh}", f"{scope}: {en}") if scope else (zh, en)


def spike_summary(scope: str, window: timedelta, count: int, expected: float,
                  ratio: float, threshold: dict | None = None) -> tuple[str, str]:
    """Return the (Chinese, English) sentence, e.g.
    "近 3 分钟负面评论 21 条，基线预期 0.4 条（约 52 倍）", followed by how the threshold was
    chosen when it was calibrated (``threshold``: see ``threshold_text``)."""
    zh = (f"近 {zh_duration(window)}负面评论 {count} 条，基线预期 {expected:.1f} 条"
          f"（约 {ratio_text(ratio)} 倍）")
    en = (f"{count} negative reviews in the last {en_duration(window)}, against "
          f"{expected:.1f} expected from the baseline (about {ratio_text(ratio)}×)")
    if threshold:
        more_zh, more_en = threshold_text(threshold)
        zh, en = f"{zh}；{more_zh}", f"{en}; {more_en}"
    return scoped(scope, zh, en)


def with_reach(sentences: tuple[str, str], reach: dict[str, int]) -> tuple[str, str]:
    """The summary sentences with how far the burst travelled appended, its non-zero parts
    only, e.g. "；共获赞 320、回复 41、转发 12，作者粉丝合计 5.2 万" (nothing when the sites
    gave none)."""
    if not reach.get("total"):
        return sentences
    zh, en = sentences
    parts = [(reach[k], z, e) for k, z, e in (("likes", "获赞", "likes"),
                                              ("replies", "回复", "replies"),
                                              ("reposts", "转发", "reposts")) if reach[k]]
    followers = reach["author_followers"]
    zh_parts = "、".join(f"{z} {n}" for n, z, _ in parts)
    en_parts = ", ".join(f"{n:,} {e}" for n, _, e in parts)
    zh += "；" + "，".join(p for p in (f"共{zh_parts}" if parts else "",
                                      f"作者粉丝合计 {_zh_count(followers)}" if followers
                                      else "") if p)
    en += "; " + ", ".join(p for p in (en_parts, f"authors with {followers:,} followers in all"
                                       if followers else "") if p)
    return zh, en


def _zh_count(number: int) -> str:
    return f"{number / 10_000:.1f} 万" if number >= 10_000 else str(number)


def threshold_text(threshold: dict) -> tuple[str, str]:
    """How a calibrated threshold was chosen, e.g. "报警阈值 11 条：按每组每周误报不超过
    0.5 次校准（同时检验 6 个窗口，计数离散度 0.03）"."""
    k, budget = threshold["threshold"], threshold["false_alarms_per_week"]
    n, alpha = threshold["windows_tested"], threshold["dispersion"]
    zh = (f"报警阈值 {k} 条：按每组每周误报不超过 {budget:g} 次校准"
          f"（同时检验 {n} 个窗口，计数离散度 {alpha:.2f}）")
    en = (f"threshold {k}, calibrated to at most {budget:g} false alarms per week per group "
          f"({n} windows tested at once, count dispersion {alpha:.2f})")
    return zh, en
