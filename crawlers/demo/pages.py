"""The demo site's own small HTML pages, for a person opening it in a browser: ``/`` says what
the site publishes and when (the feed's address, the pace, the bursts), ``/reviews/<id>`` is
one review's page (the 原文 link of each demo review), ``/hooks`` lists the webhooks received
when a browser asks for HTML. Times are shown in Beijing time, as the demo config uses.
Everything written by the catalogue or received by a hook is escaped."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from html import escape

from crawlers.demo.catalogue import DemoCatalogue, DemoReview
from crawlers.demo.feed import APP_NAME, feed_path

BEIJING = timezone(timedelta(hours=8), "北京时间")
LATEST = 20  # reviews listed on the home page
STYLE = ("body{font-family:system-ui,'PingFang SC','Noto Sans CJK SC',sans-serif;max-width:"
         "52rem;margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.6}"
         "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d8dde3;"
         "padding:.3rem .5rem;text-align:left;vertical-align:top}.negative{color:#c0392b}"
         "pre{background:#f5f7f9;padding:.6rem;overflow-x:auto;white-space:pre-wrap}"
         "code{background:#f5f7f9;padding:0 .2rem}.muted{color:#5b636b}")


def _time(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>'
            f'{escape(title)}</title><style>{STYLE}</style></head><body>{body}'
            "</body></html>").encode("utf-8")


def review_path(native_id: str) -> str:
    return f"/reviews/{native_id}"


def home(catalogue: DemoCatalogue, as_of: datetime, app_id: str, hooks: int) -> bytes:
    published = catalogue.published(as_of)
    feed = feed_path("cn", app_id, 1)
    bursts = catalogue.burst_starts(as_of)
    upcoming = _next_burst(catalogue, as_of)
    rows = "".join(
        f'<tr class="{escape(r.sentiment)}"><td>{_time(r.published_at)}</td>'
        f'<td>{"★" * (r.rating or 0) or "—"}</td><td><a href="{review_path(r.native_id)}">'
        f"{escape(r.title or r.content[:20])}</a></td><td>{escape(r.author)}</td></tr>"
        for r in published[:LATEST])
    body = f"""<h1>口碑 Koubei 演示站 · demo review site</h1>
<p>这个站点模拟 App Store「{escape(APP_NAME)}」（app id {escape(app_id)}）的客户评论 JSON 订阅源，
供 <code>koubei run --demo</code> 采集。This site imitates the App Store customer-reviews feed
that the demo config crawls.</p>
<ul>
<li>订阅源 / feed: <a href="{feed}">{feed}</a>（每页 50 条，最多 10 页）</li>
<li>启动于 / started {_time(catalogue.start)}；启动时已有之前约 70 分钟的评论</li>
<li>之后约每 {catalogue.mean_interval:g} 秒一条新评论，约 {catalogue.negative_share:.0%} 为负面
  · about one review every {catalogue.mean_interval:g} s</li>
<li>{_bursts_text(catalogue, bursts, upcoming)}</li>
<li>已发布 / published: {len(published)} 条（订阅源只显示最新 500 条）</li>
<li><a href="/hooks">收到的 webhook / webhooks received</a>：{hooks} 个</li>
</ul>
<h2>最新评论 / latest reviews</h2>
<table><thead><tr><th>时间（北京时间）</th><th>评分</th><th>标题</th><th>作者</th></tr></thead>
<tbody>{rows or '<tr><td colspan="4" class="muted">还没有评论</td></tr>'}</tbody></table>"""
    return _page("口碑演示站", body)


def _next_burst(catalogue: DemoCatalogue, as_of: datetime) -> datetime | None:
    if catalogue.burst_after is None:
        return None
    first = catalogue.start + catalogue.burst_after
    if as_of < first:
        return first
    if not catalogue.burst_every:
        return None
    done = int((as_of - first) / catalogue.burst_every) + 1
    return first + done * catalogue.burst_every


def _bursts_text(catalogue: DemoCatalogue, bursts: list, upcoming: datetime | None) -> str:
    if catalogue.burst_after is None:
        return "不发布集中负面评论（no bursts）"
    every = (f"，之后每 {catalogue.burst_every.total_seconds() / 60:g} 分钟一次"
             if catalogue.burst_every else "")
    text = (f"集中负面评论：{catalogue.burst_size} 条同一问题的负面评论在 "
            f"{catalogue.burst_span.total_seconds():g} 秒内发布，首次在启动后 "
            f"{catalogue.burst_after.total_seconds():g} 秒{every}（会触发 negative-spike 规则）。"
            f"已发生 {len(bursts)} 次")
    return text + (f"；下一次 / next burst: {_time(upcoming)}" if upcoming else "")


def review_page(review: DemoReview) -> bytes:
    stars = "★" * review.rating + "☆" * (5 - review.rating) if review.rating else "无评分"
    body = f"""<p><a href="/">← 演示站 / demo site</a></p>
<h1>{escape(review.title)}</h1>
<p class="muted">{escape(review.author)} · {stars} · 版本 {escape(review.version)} ·
{_time(review.published_at)}（北京时间）</p>
<p class="{escape(review.sentiment)}" lang="{escape(review.script)}">{escape(review.content)}</p>
<p class="muted">评论 ID {escape(review.native_id)} · 有用 {review.vote_sum}/{review.vote_count}</p>"""
    return _page(f"{review.title} · 口碑演示站", body)


def _link(url: object) -> str:
    """A link to the incident a hook is about, when it carries a web address."""
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return f' · <a href="{escape(url)}">{escape(url)}</a>'
    return ""


def hooks_page(hooks: list[dict]) -> bytes:
    items = "".join(
        f"<li><p><strong>{escape(str(h.get('kind', '')))}</strong> "
        f"{escape(str(h.get('title', '')))}{_link(h.get('link'))}</p>"
        f"<p class=\"muted\">{escape(str(h.get('summary', '')))}</p>"
        f"<details><summary>JSON</summary><pre>"
        f"{escape(json.dumps(h, ensure_ascii=False, indent=2))}</pre></details></li>"
        for h in reversed(hooks))
    body = f"""<p><a href="/">← 演示站 / demo site</a></p>
<h1>收到的 webhook / webhooks received（{len(hooks)}）</h1>
<p class="muted">最新的在前。Koubei 的 webhook 渠道 POST 到 <code>/hooks</code>；
<code>GET /hooks</code>（Accept: application/json）返回同样的列表。</p>
<ol>{items or '<li class="muted">还没有收到</li>'}</ol>"""
    return _page("webhook · 口碑演示站", body)
