"""The highlight fragment both stores put on a search page (``models.store.highlight``)."""
from __future__ import annotations

from models.store.highlight import FRAGMENT, highlight, highlights, query_words
from tests.factories import make_review


def test_words_are_the_terms_with_a_letter_or_digit():
    assert query_words("  发热  !!! iPhone ") == ["发热", "iPhone"]
    assert query_words(None) == [] and query_words("，。") == []


def test_latin_words_match_whatever_their_case_and_the_longest_word_wins():
    review = make_review(text="IPHONE 15发热，iphone发热严重")
    assert highlight(review, ["iphone", "发热", "发热严重"]) == \
        "<em>IPHONE</em> 15<em>发热</em>，<em>iphone</em><em>发热严重</em>"


def test_markup_and_quotes_are_escaped_outside_and_inside_the_marks():
    review = make_review(text='<script>alert("发热")</script>')
    assert highlight(review, ["发热"]) == \
        "&lt;script&gt;alert(&quot;<em>发热</em>&quot;)&lt;/script&gt;"


def test_a_match_near_the_start_of_a_long_text_is_cut_only_at_the_end():
    review = make_review(text="发热" + "好" * 1000)
    fragment = highlight(review, ["发热"])
    assert fragment.startswith("<em>发热</em>好") and fragment.endswith("好…")
    assert len(fragment) == FRAGMENT + len("<em></em>") + 1


def test_reviews_without_the_words_get_no_highlight():
    found, missed = make_review(text="电池发热"), make_review(text="拍照清晰", text_norm="拍照清晰")
    assert highlights([found, missed], "发热") == {found.id: "电池<em>发热</em>"}
    assert highlights([found], None) == {}


def test_a_match_found_through_the_normalised_text_is_drawn_on_the_text_as_written():
    review = make_review(text="說實話，剛更新完就發熱，ＡＰＰ閃退\x07了",
                         text_norm="说实话,刚更新完就发热,APP闪退了")
    assert highlight(review, ["发热", "app"]) == \
        "說實話，剛更新完就<em>發熱</em>，<em>ＡＰＰ</em>閃退\x07了"
    # a word that only the normalised text has, in a text too long to align: shown normalised
    long = make_review(text="發熱" + "好" * 5000, text_norm="发热" + "好" * 5000)
    assert highlight(long, ["发热"]).startswith("<em>发热</em>好")
