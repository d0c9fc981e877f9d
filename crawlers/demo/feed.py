"""Renders reviews in the Apple App Store customer-reviews JSON RSS shape (docs/sources.md §1):
every value wrapped as ``{"label": ...}``, ``feed.entry[]`` newest first, 50 per page,
``feed.link[]`` with ``rel=last`` giving the page count, and an app-metadata entry first on
page 1 as older real feeds have."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crawlers.demo.catalogue import DemoReview

PAGE_SIZE = 50
MAX_PAGES = 10
PACIFIC = timezone(timedelta(hours=-7), "PDT")  # the real feed writes Pacific time
APP_NAME = "云雀商城"


def feed_path(country: str, app_id: str, page: int) -> str:
    return f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"


def page_count(total: int) -> int:
    return max(1, min(MAX_PAGES, -(-total // PAGE_SIZE)))


def render_page(reviews: list[DemoReview], page: int, *, base_url: str, country: str,
                app_id: str, as_of: datetime) -> dict:
    """The JSON document for ``page`` (1-based) of ``reviews`` (all published, newest first).
    A page past the last has no ``entry`` key, like the real feed."""
    last = page_count(len(reviews))
    chunk = reviews[(page - 1) * PAGE_SIZE:page * PAGE_SIZE] if page <= MAX_PAGES else []
    href = lambda n: base_url + feed_path(country, app_id, n)  # noqa: E731
    links = [_link("alternate", f"https://apps.apple.com/{country}/app/id{app_id}"),
             _link("self", href(page)), _link("first", href(1)), _link("last", href(last))]
    if page > 1:
        links.append(_link("previous", href(page - 1)))
    if page < last:
        links.append(_link("next", href(page + 1)))
    feed: dict = {
        "author": {"name": {"label": "iTunes Store"},
                   "uri": {"label": "http://www.apple.com/cn/itunes/"}},
        "updated": {"label": _time(as_of)},
        "rights": {"label": "Copyright 2008 Apple Inc."},
        "title": {"label": "iTunes Store：客户评论"},
        "icon": {"label": "http://itunes.apple.com/favicon.ico"},
        "link": links,
        "id": {"label": href(page)},
    }
    entries = [_entry(r, country, base_url) for r in chunk]
    if page == 1 and entries:
        entries.insert(0, _app_entry(country, app_id))
    if entries:
        feed["entry"] = entries
    return {"feed": feed}


def _time(value: datetime) -> str:
    return value.astimezone(PACIFIC).isoformat()


def _link(rel: str, href: str) -> dict:
    return {"attributes": {"rel": rel, "type": "text/html", "href": href}}


def _entry(review: DemoReview, country: str, base_url: str) -> dict:
    author_uri = f"https://itunes.apple.com/{country}/reviews/id{review.author_id}"
    # The real feed links every entry to the app's review list; the demo links each review to
    # its own page on the demo site, so a handler's 原文 link shows that review.
    review_url = f"{base_url}/reviews/{review.native_id}"
    entry = {
        "author": {"uri": {"label": author_uri}, "name": {"label": review.author}, "label": ""},
        "updated": {"label": _time(review.published_at)},
        "im:rating": {"label": str(review.rating)},
        "im:version": {"label": review.version},
        "id": {"label": review.native_id},
        "title": {"label": review.title},
        "content": {"label": review.content, "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": review_url}},
        "im:voteSum": {"label": str(review.vote_sum)},
        "im:contentType": {"attributes": {"term": "Application", "label": "应用程序"}},
        "im:voteCount": {"label": str(review.vote_count)},
    }
    if review.rating is None:
        del entry["im:rating"]
    return entry


def _app_entry(country: str, app_id: str) -> dict:
    """The app-metadata entry: it has ``id`` and ``title`` like a review but no author."""
    app_url = f"https://apps.apple.com/{country}/app/id{app_id}?uo=2"
    return {
        "im:name": {"label": APP_NAME},
        "im:image": [{"label": f"https://is1-ssl.mzstatic.com/image/{app_id}/{size}x{size}.png",
                      "attributes": {"height": str(size)}} for size in (53, 75, 100)],
        "summary": {"label": "云雀官方商城：云雀 X5 新品首发，以旧换新，售后预约。"},
        "im:price": {"label": "免费", "attributes": {"amount": "0.00", "currency": "CNY"}},
        "im:contentType": {"attributes": {"term": "Application", "label": "应用程序"}},
        "rights": {"label": "© 云雀科技"},
        "title": {"label": f"{APP_NAME} - 云雀科技"},
        "link": {"attributes": {"rel": "alternate", "type": "text/html", "href": app_url}},
        "id": {"label": app_url, "attributes": {"im:id": app_id, "im:bundleId": "com.yunque.mall"}},
        "im:artist": {"label": "云雀科技",
                      "attributes": {"href": f"https://apps.apple.com/{country}/developer/id1"}},
        "category": {"attributes": {"im:id": "6024", "term": "Shopping", "label": "购物"}},
        "im:releaseDate": {"label": "2024-03-01T00:00:00-07:00",
                           "attributes": {"label": "2024年3月1日"}},
    }
