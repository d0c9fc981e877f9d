import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from nlp.features import model_text
from nlp.ngrams import CharNgramTfidf, decode, ngram_codes

TRAIN = ["物流很快，质量很好", "质量太差了，退货", "客服态度很好👍", "很好 很好  很好",
         "Good 质量", "差评[怒]", "质量一般", "物流慢"]
TEXTS = ["质量很好", "", "没见过的字", "物流很快 客服很差😡", "a", "质量\n\n很好", "质\x00量"]


def test_same_matrix_as_scikit_learn():
    ours = CharNgramTfidf((1, 3), min_df=2).fit(TRAIN)
    reference = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                sublinear_tf=True, preprocessor=model_text).fit(TRAIN)
    names = list(ours.get_feature_names_out())
    assert sorted(names) == sorted(reference.vocabulary_)
    columns = [reference.vocabulary_[name] for name in names]
    expected = reference.transform(TEXTS)[:, columns].toarray()
    assert np.allclose(ours.transform(TEXTS).toarray(), expected, atol=1e-6)


def test_ngrams_never_cross_texts():
    rows, codes = ngram_codes(["ab", "c"], (1, 3))
    grams = sorted((int(r), decode(c)) for r, c in zip(rows, codes))
    assert grams == [(0, "a"), (0, "ab"), (0, "b"), (1, "c")]


def test_unknown_text_gives_an_empty_row():
    features = CharNgramTfidf().fit(TRAIN)
    matrix = features.transform(["", "嗯嗯嗯"])
    assert matrix.shape == (2, len(features.codes_)) and matrix.nnz == 0


def test_only_up_to_three_characters():
    with pytest.raises(ValueError, match="1 to 3"):
        ngram_codes(["abcd"], (1, 4))
