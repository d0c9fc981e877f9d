"""What a newcomer hit on the first day: an English page showing Chinese topics and incident
titles, and a sign-in page offering navigation to pages that need a sign-in."""
from __future__ import annotations

from tests.factories import make_review


def test_english_pages_translate_topics_and_incident_titles(client, store, add_incident):
    review = make_review(label="negative", topics=["电池续航", "自定义话题"],
                         aspects=[("物流配送", "negative")])
    store.upsert([review])
    spike = add_incident(title="云雀手机 负面评论激增", severity="critical")
    emerging = add_incident(title="云雀手机 新问题出现：电池续航")
    aspect = add_incident(title="物流配送·负面 负面评论占比升高")
    odd = add_incident(title="某个手写的标题")

    feed = client.get("/?lang=en").get_data(as_text=True)
    assert '<span class="tag tag-topic">Battery life</span>' in feed
    assert '<span class="tag tag-topic">自定义话题</span>' in feed  # own topic: as configured
    assert '"电池续航": "Battery life"' in feed  # for cards feed.js draws
    page = client.get(f"/reviews/{review.id}?lang=en").get_data(as_text=True)
    assert "Delivery · Negative" in page
    listing = client.get("/incidents?lang=en").get_data(as_text=True)
    assert "云雀手机: negative reviews spiking" in listing
    assert "云雀手机: new issue — Battery life" in listing
    assert "Delivery · Negative: negative share rising" in listing
    assert "某个手写的标题" in listing
    detail = client.get(f"/incidents/{spike}?lang=en").get_data(as_text=True)
    assert "<title>#%d 云雀手机: negative reviews spiking" % spike in detail
    assert "Critical" in detail
    for incident in (emerging, aspect, odd):
        assert client.get(f"/incidents/{incident}?lang=en").status_code == 200
    chinese = client.get("/incidents?lang=zh-CN").get_data(as_text=True)
    assert "云雀手机 负面评论激增" in chinese and "云雀手机 新问题出现：电池续航" in chinese


def test_the_sign_in_page_offers_no_navigation_behind_the_sign_in(anonymous, client):
    login = anonymous.get("/login").get_data(as_text=True)
    assert 'href="/incidents"' not in login and 'href="/queue"' not in login
    assert 'href="/trends"' not in login and "/login" in login
    assert 'href="/queue"' in client.get("/").get_data(as_text=True)


def test_search_shows_what_people_wrote_with_the_words_marked(client, store):
    store.upsert([make_review(text="說實話，剛更新完就發熱，根本沒法用",
                              text_norm="说实话,刚更新完就发热,根本没法用",
                              script="zh-Hant", tokens=["说实话", "刚", "更新", "完", "就", "发热",
                                                        "根本", "没法", "用"])])
    body = client.get("/", query_string={"q": "发热"}).get_data(as_text=True)
    assert "說實話，剛更新完就<em>發熱</em>，根本沒法用" in body
    assert "说实话,刚更新完" not in body
    api = client.get("/api/reviews", query_string={"q": "发热"}).get_json()["reviews"]
    assert api[0]["highlight"] == "說實話，剛更新完就<em>發熱</em>，根本沒法用"


def test_the_incident_list_names_who_handles_each_incident(client, add_incident, runtime):
    from alerting.respond import workflow
    taken, free = add_incident(), add_incident(title="另一个事件")
    workflow.acknowledge(runtime.state, taken, "root")  # nobody assigned: root takes it
    page = client.get("/incidents").get_data(as_text=True)
    rows = {i: page[page.index(f'<a href="/incidents/{i}">{i}</a>'):] for i in (taken, free)}
    assert rows[taken].split("</tr>")[0].count('<td class="assignee">root</td>') == 1
    assert '<td class="assignee">—</td>' in rows[free].split("</tr>")[0]


def test_every_topic_of_every_taxonomy_has_an_english_name(client, store):
    from nlp.topics import DEFAULT_TOPICS, INDUSTRY_TOPICS
    from web.messages import EN
    topics = {t for taxonomy in INDUSTRY_TOPICS.values() for t in taxonomy} | set(DEFAULT_TOPICS)
    assert sorted(t for t in topics if f"topic.{t}" not in EN) == []
    store.upsert([make_review(topics=["拍照影像"])])
    assert '<span class="tag tag-topic">Camera</span>' in client.get("/?lang=en").get_data(
        as_text=True)
