"""End to end in a real Chromium: a handler opens the incident from the link in the
notification the webhook received, signs in, acknowledges, assigns, resolves, and the
all-clear arrives at the same webhook.

Chromium and chromedriver are the Debian packages (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``make test`` installs them); Selenium is pointed at them explicitly so
nothing is downloaded. Under ``CI=true`` a missing browser fails the test.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import pytest

from alerting.detect.tick import run_detection
from alerting.respond.channels.webhook import WebhookConfig
from models.config import WebConfig
from models.runtime import Runtime
from tests.alerting.conftest import NOW, WebhookReceiver, add_burst, spike_rule
from tests.support import free_port, require
from tests.web.conftest import PASSWORD
from web.app import create_app
from web.security import accounts

CHROMIUM = Path(os.environ.get("KOUBEI_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("KOUBEI_CHROMEDRIVER", "/usr/bin/chromedriver"))


def navigate_by(browser, action) -> None:
    """Run ``action`` (a click that leaves the page) and wait until the page it was on has
    been replaced and the new one has loaded, so the next lookup finds the new page and not a
    stale copy of the old one.

    The old page is marked with a window property before the action; the new document starts
    without it. While the navigation is in flight chromedriver can answer any command with an
    error (a stale element, or "Node with given id does not belong to the document"), so the
    wait ignores driver errors and only a timeout fails it."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    browser.execute_script("window.__koubeiLeaving = true;")
    action()
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script(
            "return !window.__koubeiLeaving && document.readyState === 'complete';"))


def submit(browser, element) -> None:
    """Click ``element`` (a submit button or a link) and wait for the page it leads to."""
    navigate_by(browser, element.click)


def sign_in(driver, base, username, next_path="/"):
    """Sign ``username`` (whose password is ``PASSWORD``) in and land on ``next_path``."""
    driver.get(f"{base}/login?next={next_path}")
    driver.find_element("id", "username").send_keys(username)
    driver.find_element("id", "password").send_keys(PASSWORD)
    submit(driver, driver.find_element("css selector", "form.stacked-form button[type=submit]"))


def alerted(site) -> dict:
    """Handler ``li`` added, a negative burst stored and detected: the one alert it sent."""
    rt, receiver, _ = site
    accounts.add_user(rt.state, "li", "handler", ["*"], PASSWORD)
    add_burst(rt.store, 9)
    run_detection(rt, now=NOW)
    [alert] = receiver.payloads()
    return alert


@pytest.fixture
def browser():
    require(CHROMIUM.exists() and CHROMEDRIVER.exists(),
            f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    require(importlib.util.find_spec("selenium") is not None, "selenium (pip install selenium)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def site(runtime):
    """The app served by waitress on loopback, with one rule notifying a real webhook."""
    from waitress.server import create_server
    receiver = WebhookReceiver()
    port = free_port()
    rt = Runtime(runtime.config.model_copy(update={
        "web": WebConfig(port=port, public_url=f"http://127.0.0.1:{port}"),
        "rules": [spike_rule(channels=["hook"])],
        "channels": [WebhookConfig(name="hook", type="webhook", url=receiver.url)]}),
        runtime.config_path, runtime.home)
    app = create_app(rt, {"FEED_POLL_SECONDS": 0.5})
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield rt, receiver, f"http://127.0.0.1:{port}"
    server.close()
    receiver.close()
    rt.close()


def test_handler_works_an_incident_from_the_notification(site, browser):
    rt, receiver, base = site
    for name, role in (("li", "handler"), ("zhao", "handler")):
        accounts.add_user(rt.state, name, role, ["yunque"], PASSWORD, display_name=name.upper())
    add_burst(rt.store, 9)
    run_detection(rt, now=NOW)
    [alert] = receiver.payloads()
    assert alert["kind"] == "opened"

    browser.get(alert["actions"]["open"])  # the "open" button of the chat card
    assert "/login" in browser.current_url
    browser.find_element("id", "username").send_keys("li")
    browser.find_element("id", "password").send_keys(PASSWORD)
    submit(browser, browser.find_element("css selector", "form.stacked-form button[type=submit]"))
    assert browser.current_url == f"{base}/incidents/{alert['id']}"
    assert "云雀手机 负面评论激增" in browser.find_element("tag name", "h1").text

    submit(browser, browser.find_element("id", "action-acknowledge"))
    assert "已确认" in browser.find_element("css selector", "h1 .status").text
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element("id", "assignee")).select_by_value("zhao")
    submit(browser, browser.find_element("id", "action-assign"))
    assert browser.find_element("css selector", "dd.assignee").text == "zhao"
    browser.find_element("id", "resolution-note").send_keys("已联系客户并更换批次")
    submit(browser, browser.find_element("id", "action-resolve"))
    assert "已解决" in browser.find_element("css selector", "h1 .status").text
    timeline = browser.find_element("css selector", "ol.events").text
    for step in ("已确认", "已指派", "已解决", "已联系客户并更换批次"):
        assert step in timeline

    all_clear = receiver.payloads()[-1]
    assert (all_clear["id"], all_clear["kind"], all_clear["resolution"], all_clear["note"]) == (
        alert["id"], "resolved", "resolved", "已联系客户并更换批次")


def test_incident_page_redraws_when_something_new_arrives(site, browser):
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from alerting.respond import workflow
    rt, _receiver, base = site
    alert = alerted(site)
    sign_in(browser, base, "li", f"/incidents/{alert['id']}")
    live = browser.find_element("id", "incident-live")
    assert not live.is_displayed()
    browser.execute_script("window.notReloaded = true")  # gone if the page were reloaded

    workflow.comment(rt.state, alert["id"], "zhao", "客服已回复三位用户")  # someone else acts
    WebDriverWait(browser, 20).until(expected_conditions.visibility_of(live))
    assert "新增 0 条关联评论、1 条记录" in live.text
    assert "客服已回复三位用户" in browser.find_element("css selector", "ol.events").text
    assert browser.execute_script("return window.notReloaded") is True

    # someone else acknowledges while li types a comment: the status is redrawn, li's
    # half-written comment (in the actions panel) is kept and a reload is offered instead
    browser.find_element("id", "comment-text").send_keys("正在联系")
    workflow.acknowledge(rt.state, alert["id"], "zhao")
    WebDriverWait(browser, 20).until(
        lambda b: "已确认" in b.find_element("css selector", "h1 .status").text)
    assert browser.find_element("id", "comment-text").get_attribute("value") == "正在联系"
    assert live.find_element("link text", "刷新页面（你正在填写的操作表单未更新）")
    assert browser.execute_script("return window.notReloaded") is True


def test_live_feed_draws_a_new_reviews_reach(site, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.factories import make_review
    rt, _receiver, base = site
    accounts.add_user(rt.state, "li", "handler", ["*"], PASSWORD)
    rt.store.upsert([make_review(text="旧评论")])
    sign_in(browser, base, "li")
    rt.store.upsert([make_review(text="刚发的爆款差评", likes=200, reposts=30,
                                 author_followers=5000),
                     make_review(text="没人看的评论")])
    WebDriverWait(browser, 20).until(
        lambda b: "刚发的爆款差评" in b.find_element("id", "feed").text)
    cards = {card.find_element("css selector", ".review-text").text: card
             for card in browser.find_elements("css selector", "#feed article.review")}
    assert cards["刚发的爆款差评"].find_element("css selector", ".reach").text == "传播 5230"
    assert not cards["没人看的评论"].find_elements("css selector", ".reach")
