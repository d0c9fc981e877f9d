"""Brand analytics in a real Chromium: an analyst selects a date range, compares two brands,
reads the share of voice from the interactive chart and clicks through to the reviews behind
a figure and behind a bar of the trend chart (a real mouse click on the ECharts canvas).
Skips like ``test_browser`` without Chromium (fails under ``CI=true``)."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest

from models.config import EntityConfig, WebConfig
from models.runtime import Runtime
from tests.factories import make_review
from tests.support import free_port
from tests.web.conftest import PASSWORD
from tests.web.test_browser import browser, navigate_by, submit  # noqa: F401  (the browser fixture)
from web.app import create_app
from web.security import accounts

SHANGHAI = timezone(timedelta(hours=8))
HUAMEI = EntityConfig(id="huamei", name="华美家电", keywords=["华美"])


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, d, hour, tzinfo=SHANGHAI)


@pytest.fixture
def site(runtime):
    from waitress.server import create_server
    port = free_port()
    rt = Runtime(runtime.config.model_copy(update={
        "web": WebConfig(port=port, public_url=f"http://127.0.0.1:{port}"),
        "entities": [*runtime.config.entities, HUAMEI]}), runtime.config_path, runtime.home)
    rt.store.upsert(
        [make_review(entities=["yunque"], published_at=day(9), text=f"云雀好评{i}")
         for i in range(6)]
        + [make_review(entities=["yunque"], published_at=day(10), label="negative",
                       text=f"云雀差评{i}") for i in range(3)]
        + [make_review(entities=["huamei"], published_at=day(11), label="negative",
                       text=f"华美差评{i}") for i in range(4)]
        + [make_review(entities=["huamei"], published_at=day(2), text="华美上周")])
    accounts.add_user(rt.state, "wang", "analyst", ["*"], PASSWORD)
    app = create_app(rt, {"FEED_POLL_SECONDS": 60})
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    rt.close()


def sign_in(browser, base):  # noqa: F811
    browser.get(f"{base}/login")
    browser.find_element("id", "username").send_keys("wang")
    browser.find_element("id", "password").send_keys(PASSWORD)
    submit(browser, browser.find_element("css selector", "form.stacked-form button[type=submit]"))


def choose_range(browser, form_id: str, since: str, until: str):  # noqa: F811
    for name, value in (("since", since), ("until", until)):
        field = browser.find_element("css selector", f"#{form_id} input[name={name}]")
        browser.execute_script("arguments[0].value = arguments[1]", field, value)


def test_select_a_range_compare_two_brands_and_click_through(site, browser):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait
    base = site
    sign_in(browser, base)
    browser.get(f"{base}/compare")
    choose_range(browser, "compare-form", "2026-11-08", "2026-11-14")
    for box in browser.find_elements("css selector", "#compare-form input[name=entity]"):
        wanted = box.get_attribute("value") in ("yunque", "huamei")
        if box.is_selected() != wanted:  # the page starts on the first two entities
            box.click()
    submit(browser, browser.find_element("css selector", "#compare-form button[type=submit]"))
    assert "since=2026-11-08" in browser.current_url
    rows = browser.find_elements("css selector", "#compare-table tbody tr")
    assert [r.find_element("tag name", "th").text for r in rows] == ["云雀手机", "华美家电"]
    assert "69.2%" in rows[0].text and "30.8%" in rows[1].text  # 9 and 4 of 13
    # the share-of-voice chart is drawn by ECharts from the page's figures
    chart = browser.find_element("css selector", "div.echart[data-chart=share]")
    WebDriverWait(browser, 20).until(lambda b: "drawn" in chart.get_attribute("class"))
    assert chart.find_element("tag name", "canvas").is_displayed()
    names = browser.execute_script(
        "return arguments[0].chart.getOption().series.map(function (s) { return s.name; })",
        chart)
    assert names == ["云雀手机", "华美家电"]

    # click through: 华美's negative share opens its negative reviews of the period
    link = rows[1].find_elements("css selector", "td a")[0]
    assert link.text == "100.0%"
    submit(browser, link)
    assert browser.find_element("id", "result-count").text.startswith("共 4 条")
    chips = browser.find_element("css selector", "ul.active-filters").text
    assert "华美家电" in chips and "负面" in chips
    assert len(browser.find_elements("css selector", "#feed article.review")) == 4

    # the trend chart of 云雀 over the same range: a real click on the 10 Nov negative bar
    browser.get(f"{base}/trends?entity=yunque&since=2026-11-08&until=2026-11-14")
    trend = browser.find_element("css selector", "div.echart[data-chart=trend]")
    WebDriverWait(browser, 20).until(lambda b: "drawn" in trend.get_attribute("class"))
    assert not browser.find_element("css selector", "div.static-chart").is_displayed()
    x, y = browser.execute_script(
        "var c = arguments[0].chart; var labels = c.getOption().xAxis[0].data;"
        "return c.convertToPixel({seriesIndex: 0}, [labels.indexOf('2026-11-10'), 1.5]);",
        trend)
    canvas = trend.find_element("tag name", "canvas")
    size = canvas.size
    navigate_by(browser, ActionChains(browser).move_to_element_with_offset(
        canvas, int(x - size["width"] / 2), int(y - size["height"] / 2)).click().perform)
    assert re.search(r"sentiment=negative", browser.current_url)
    assert "since=2026-11-10T00%3A00%3A00%2B08%3A00" in browser.current_url
    assert browser.find_element("id", "result-count").text.startswith("共 3 条")
    texts = [a.text for a in browser.find_elements("css selector", "#feed .review-text")]
    assert sorted(texts) == ["云雀差评0", "云雀差评1", "云雀差评2"]
