"""In a real Chromium (see ``test_browser``): a handler assigns and handles a review, bulk-handles
a filtered feed, watches reviews join an open incident without reloading, and a signed
acknowledge link used while signed out ends on a page that says what happened; the incident
page's buttons and the silences form are styled like the rest of the app."""
from __future__ import annotations

from datetime import timedelta

from alerting.detect.tick import run_detection
from alerting.respond import review_handling as rh
from tests.alerting.conftest import NOW, add_burst
from tests.factories import make_review
from tests.web.conftest import PASSWORD
from tests.web.test_browser import alerted, browser, sign_in, site, submit  # noqa: F401  (fixtures)
from web.security import accounts


def Select(element):  # noqa: N802  (selenium's class, imported when a browser runs)
    from selenium.webdriver.support.ui import Select as SeleniumSelect
    return SeleniumSelect(element)


def WebDriverWait(driver, seconds):  # noqa: N802
    from selenium.webdriver.support.ui import WebDriverWait as Wait
    return Wait(driver, seconds)


def test_assign_and_handle_a_review(site, browser):  # noqa: F811
    rt, _, base = site
    for name in ("li", "zhao"):
        accounts.add_user(rt.state, name, "handler", ["yunque"], PASSWORD)
    review = make_review(label="negative", text="充电器用了三天就坏了，客服也不回")
    rt.store.upsert([review])
    sign_in(browser, base, "li", f"/reviews/{review.id}")
    assert "尚未处理" in browser.find_element("css selector", ".handling-state").text

    Select(browser.find_element("id", "review-assignee")).select_by_value("zhao")
    submit(browser, browser.find_element("id", "review-assign"))
    assert "待处理 · zhao" in browser.find_element("css selector", ".review .handling").text

    Select(browser.find_element("id", "review-outcome")).select_by_value("refunded")
    browser.find_element("id", "review-note").send_keys("已退款并补发新充电器")
    submit(browser, browser.find_element("id", "review-handle"))
    state = browser.find_element("css selector", ".handling-state").text
    assert "已处理（已退款）· li" in state and "已补发" not in state
    assert "已退款并补发新充电器" in state
    timeline = browser.find_element("css selector", "ol.review-events").text
    assert "已指派" in timeline and "已处理" in timeline

    browser.get(f"{base}/")  # the feed shows the status on the card
    card = browser.find_element("css selector", f'article.review[data-id="{review.id}"]')
    assert "已处理（已退款）" in card.find_element("css selector", ".handling").text
    row = rh.handlings(rt.state, [review.id])[review.id]
    assert (row.status, row.outcome, row.handled_by) == ("handled", "refunded", "li")


def test_bulk_handle_a_filtered_list(site, browser):  # noqa: F811
    rt, _, base = site
    accounts.add_user(rt.state, "li", "handler", ["*"], PASSWORD)
    negatives = [make_review(label="negative") for _ in range(3)]
    positives = [make_review(label="positive") for _ in range(2)]
    rt.store.upsert(negatives + positives)
    sign_in(browser, base, "li")
    Select(browser.find_element("css selector", "form.filters select[name=sentiment]")
           ).select_by_value("negative")
    submit(browser, browser.find_element("css selector", "form.filters button[type=submit]"))
    assert len(browser.find_elements("css selector", "#feed article.review")) == 3

    Select(browser.find_element("id", "bulk-outcome")).select_by_value("replied")
    browser.find_element("id", "bulk-note").send_keys("统一回复：已安排换货")
    submit(browser, browser.find_element("id", "bulk-handle"))
    assert "sentiment=negative" in browser.current_url  # still the filtered list
    assert "已将 3 条评论标记为已处理。" in browser.find_element("css selector", ".flash").text
    badges = browser.find_elements("css selector", "#feed article.review .handling-handled")
    assert len(badges) == 3
    rows = rh.handlings(rt.state, [r.id for r in negatives + positives])
    assert set(rows) == {r.id for r in negatives}

    # tick one review in the unfiltered feed and assign only that one
    browser.get(f"{base}/")
    browser.find_element("css selector",
                         f'input.bulk-pick[value="{positives[0].id}"]').click()
    submit(browser, browser.find_element("id", "bulk-assign"))
    assert "已指派 1 条评论。" in browser.find_element("css selector", ".flash").text
    assert rh.handlings(rt.state, [positives[1].id]) == {}
    assert rh.handlings(rt.state, [positives[0].id])[positives[0].id].assignee == "li"


def test_reviews_joining_an_open_incident_appear_in_place(site, browser):  # noqa: F811
    rt, _, base = site
    alert = alerted(site)
    sign_in(browser, base, "li", f"/incidents/{alert['id']}")
    related = browser.find_element("css selector", "#incident-related details")
    assert related.get_attribute("open") is not None  # open incident: reviews shown
    before = len(browser.find_elements("css selector", "#incident-related article.review"))
    browser.find_element("id", "comment-text").send_keys("正在联系")  # typing meanwhile
    browser.execute_script("window.notReloaded = true")

    later = add_burst(rt.store, 6, end=NOW + timedelta(minutes=1),
                      span=timedelta(seconds=50))
    run_detection(rt, now=NOW + timedelta(minutes=1))
    WebDriverWait(browser, 20).until(lambda b: len(b.find_elements(
        "css selector", "#incident-related article.review")) > before)
    fresh = browser.find_elements("css selector", "#incident-related article.review-new")
    assert {card.get_attribute("data-id") for card in fresh} <= {r.id for r in later}
    assert fresh
    top = browser.find_element("css selector", "#incident-related article.review")
    assert top.get_attribute("data-id") in {r.id for r in later}  # newest on top
    assert browser.find_element("css selector", "#incident-related details").get_attribute(
        "open") is not None
    assert browser.find_element("id", "comment-text").get_attribute("value") == "正在联系"
    assert browser.execute_script("return window.notReloaded") is True


def test_signed_acknowledge_link_while_signed_out_confirms(site, browser):  # noqa: F811
    rt, _, base = site
    alert = alerted(site)
    browser.get(alert["actions"]["acknowledge"])
    submit(browser, browser.find_element("id", "confirm-acknowledge"))
    page = browser.find_element("id", "link-acknowledged")
    assert "已确认事件" in page.find_element("tag name", "h1").text
    assert "通知链接" in page.text and "已确认" in page.text
    assert not browser.find_elements("css selector", "nav.site-nav a")  # nothing behind sign-in
    submit(browser, browser.find_element("id", "sign-in-to-incident"))
    browser.find_element("id", "username").send_keys("li")
    browser.find_element("id", "password").send_keys(PASSWORD)
    submit(browser, browser.find_element("css selector", "form.stacked-form button[type=submit]"))
    assert browser.current_url == f"{base}/incidents/{alert['id']}"
    assert "已确认" in browser.find_element("css selector", "h1 .status").text


def test_a_colleagues_handling_shows_on_the_feed_without_a_reload(site, browser):  # noqa: F811
    rt, _, base = site
    accounts.add_user(rt.state, "li", "handler", ["*"], PASSWORD)
    reviews = [make_review(label="negative") for _ in range(2)]
    rt.store.upsert(reviews)
    sign_in(browser, base, "li")
    browser.execute_script("window.notReloaded = true")
    card = browser.find_element("css selector", f'article.review[data-id="{reviews[0].id}"]')
    assert not card.find_elements("css selector", ".handling")

    rh.handle(rt.state, reviews[0], "zhao", "escalated", "转交售后团队")  # a colleague
    WebDriverWait(browser, 20).until(lambda b: card.find_elements(
        "css selector", ".handling-handled"))
    assert "已转交团队" in card.find_element("css selector", ".handling").text
    other = browser.find_element("css selector", f'article.review[data-id="{reviews[1].id}"]')
    assert not other.find_elements("css selector", ".handling")
    assert browser.execute_script("return window.notReloaded") is True


def test_incident_actions_and_the_silences_form_are_styled_like_the_app(site, browser):  # noqa: F811
    """Buttons in the app's accent colour at the page's font size, selects and inputs as tall
    and as large as the filters' (the browser's defaults were 13px grey buttons and tiny
    selects)."""
    rt, _, base = site
    alert = alerted(site)
    sign_in(browser, base, "li", f"/incidents/{alert['id']}")

    def style(element, name):
        return browser.execute_script(
            "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1])", element,
            name)
    body = style(browser.find_element("tag name", "body"), "font-size")
    accent = style(browser.find_element("css selector", ".language-switch a"), "color")  # --accent
    for button_id in ("action-acknowledge", "action-assign", "action-comment",
                      "action-resolve"):
        button = browser.find_element("id", button_id)
        assert style(button, "background-color") == accent, button_id
        assert style(button, "color") == "rgb(255, 255, 255)", button_id
        assert style(button, "font-size") == body, button_id
    for control in (browser.find_element("id", "assignee"),
                    browser.find_element("id", "comment-text")):
        assert style(control, "font-size") == body
        assert control.size["height"] >= 30
    browser.get(f"{base}/silences")
    selects = browser.find_elements("css selector", "form.stacked-form select")
    assert len(selects) == 3
    for select in selects:  # the form's labels are set a little smaller; the default is 13px
        assert float(style(select, "font-size").removesuffix("px")) >= 14
        assert select.size["height"] >= 30 and select.size["width"] >= 120
    add = browser.find_element("css selector", "form.stacked-form button[type=submit]")
    assert style(add, "background-color") == accent
