"""The alert e-mail: a UTF-8 multipart message (plain text + HTML) with a Chinese subject; and
a mail with attachments, for scheduled reports."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape

from alerting.respond.notice import Notice

SUBJECT_PREFIX = "【口碑告警】"
KIND_LABELS = {"opened": "新告警", "realert": "持续告警", "resolved": "告警解除",
               "escalated": "升级告警（无人确认）"}
RESOLUTION_LABELS = {"resolved": "已处理解决", "auto_resolved": "已自动解除（负面声量回落）",
                     "false_alarm": "标记为误报"}


def subject(notice: Notice) -> str:
    """"【口碑告警】云雀手机 负面评论激增" (with "（持续）" when re-alerting)."""
    if notice.kind == "resolved":
        return SUBJECT_PREFIX + "已解除：" + notice.title
    return SUBJECT_PREFIX + notice.title + ("（持续）" if notice.kind == "realert" else "")


def text_body(notice: Notice) -> str:
    e = notice.explanation
    lines = [f"{KIND_LABELS.get(notice.kind, notice.kind)}：{notice.title}", "",
             notice.summary, "", f"事件编号：#{notice.incident_id}（规则 {notice.rule}）",
             f"开始时间：{notice.local_time(notice.opened_at)}", f"查看与处理：{notice.link}"]
    if notice.acknowledge_link:
        lines.append(f"一键确认：{notice.acknowledge_link}")
    if notice.kind == "resolved":
        lines[2:2] = [f"处理结果：{RESOLUTION_LABELS.get(notice.resolution, notice.resolution)}"
                      + (f"（{notice.note}）" if notice.note else ""), ""]
    if e.get("terms"):
        lines += ["", "突出词语：" + "、".join(t["term"] for t in e["terms"])]
    if e.get("topics"):
        lines += ["主要话题：" + "、".join(f"{t['topic']}（{t['count']}）" for t in e["topics"])]
    if e.get("reviews"):
        lines += ["", "代表性评论："]
        lines += [f"- {r.get('author') or '匿名'}：{r['text']}" + (f" {r['url']}" if r.get("url")
                                                                else "") for r in e["reviews"]]
    return "\n".join(lines) + "\n"


def _web_url(url: object) -> bool:
    """Whether a review's link may become a link in the mail: http(s) only. Review URLs come
    from crawled pages, and ``javascript:`` or ``data:`` must never be clickable."""
    return isinstance(url, str) and url.strip().lower().startswith(("http://", "https://"))


def html_body(notice: Notice) -> str:
    e = notice.explanation
    parts = [f"<h2>{escape(notice.title)}</h2>", f"<p>{escape(notice.summary)}</p>",
             f"<p>开始时间：{escape(notice.local_time(notice.opened_at))}</p>",
             f'<p><a href="{escape(notice.link)}">查看与处理事件 #{notice.incident_id}</a></p>']
    if notice.acknowledge_link:
        parts.append(f'<p><a href="{escape(notice.acknowledge_link)}">一键确认</a></p>')
    if notice.kind == "resolved":
        parts.insert(1, "<p>处理结果：" + escape(RESOLUTION_LABELS.get(
            notice.resolution, str(notice.resolution))
            + (f"（{notice.note}）" if notice.note else "")) + "</p>")
    if e.get("terms"):
        parts.append("<p>突出词语：" + "、".join(escape(t["term"]) for t in e["terms"]) + "</p>")
    if e.get("topics"):
        parts.append("<p>主要话题：" + "、".join(
            f"{escape(t['topic'])}（{t['count']}）" for t in e["topics"]) + "</p>")
    if e.get("reviews"):
        items = "".join(
            f"<li><b>{escape(r.get('author') or '匿名')}</b>：{escape(r['text'])}"
            + (f' <a href="{escape(r["url"])}">原文</a>' if _web_url(r.get("url")) else "")
            + "</li>"
            for r in e["reviews"])
        parts.append(f"<p>代表性评论：</p><ul>{items}</ul>")
    return ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><body>'
            + "".join(parts) + "</body></html>")


def _headed(title: str, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="koubei.local")
    return message


def compose(notice: Notice, sender: str, recipients: list[str]) -> EmailMessage:
    message = _headed(subject(notice), sender, recipients)
    message.set_content(text_body(notice), charset="utf-8")
    message.add_alternative(html_body(notice), subtype="html", charset="utf-8")
    return message


def compose_with_attachments(title: str, text: str, html: str | None, sender: str,
                             recipients: list[str],
                             attachments: list[tuple[str, bytes, str]]) -> EmailMessage:
    """A mail (plain text, with an HTML alternative when ``html`` is given) carrying files
    (a report): ``attachments`` are ``(filename, content, MIME type)``."""
    message = _headed(title, sender, recipients)
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    for filename, content, mimetype in attachments:
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message
