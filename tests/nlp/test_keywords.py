from nlp.keywords import TermLift, keywords, overrepresented_terms
from nlp.segment import segment


def test_keywords_drop_stopwords_punctuation_and_single_characters():
    tokens = segment("这个手机的屏幕真的很好，但是电池续航太差了！！[怒]😡 123")
    result = keywords(tokens, top=5)
    assert "屏幕" in result and "续航" in result
    for dropped in ("这个", "的", "真的", "，", "[怒]", "😡", "123", "很"):
        assert dropped not in result
    assert len(result) <= 5


def test_keywords_rank_repeated_rare_words_first():
    tokens = ["闪退", "闪退", "闪退", "手机", "不错"]
    assert keywords(tokens, top=2)[0] == "闪退"


def test_keywords_of_nothing():
    assert keywords([]) == []
    assert keywords(["的", "了", "，"]) == []


def _reviews(n, words):
    return [list(words) for _ in range(n)]


def test_overrepresented_terms_find_what_the_spike_is_about():
    baseline = _reviews(200, ["手机", "不错", "屏幕"]) + _reviews(4, ["退款", "客服"])
    window = _reviews(10, ["手机", "闪退", "退款"]) + _reviews(5, ["手机", "不错"])
    terms = overrepresented_terms(window, baseline, top=5)
    names = [t.term for t in terms]
    assert names[:2] == ["闪退", "退款"]
    assert "手机" not in names and "不错" not in names and "屏幕" not in names
    first = terms[0]
    assert isinstance(first, TermLift)
    assert (first.window_count, first.baseline_count) == (10, 0)
    assert first.lift > 10 and first.score > 0


def test_each_review_counts_a_term_once_and_min_count_applies():
    window = [["闪退"] * 50, ["卡顿"], ["卡顿"]]
    terms = overrepresented_terms(window, [["不错"]] * 20, min_count=2)
    assert [t.term for t in terms] == ["卡顿"]


def test_a_subterm_found_in_no_more_reviews_is_left_out():
    window = _reviews(6, ["性价比", "性价"])
    terms = overrepresented_terms(window, _reviews(50, ["不错"]))
    assert [t.term for t in terms] == ["性价比"]


def test_empty_inputs():
    assert overrepresented_terms([], []) == []
    assert [t.term for t in overrepresented_terms(_reviews(3, ["退款"]), [])] == ["退款"]
