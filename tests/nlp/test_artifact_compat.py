"""The shipped artifact keeps loading: it pickles classes by module path (``nlp.cues``,
``nlp.ngrams``), so those paths are part of the artifact format and the restructuring left
them where they were. A module that moves must leave an alias behind; this
test names the paths the artifact really uses, so a move that forgets one fails here."""
from __future__ import annotations

import joblib
from joblib.numpy_pickle import NumpyUnpickler

from nlp.sentiment import DEFAULT_ARTIFACT, SentimentModel


def pickled_globals(path) -> set[tuple[str, str]]:
    """Every (module, name) the artifact's pickle asks for while loading."""
    seen: set[tuple[str, str]] = set()
    original = NumpyUnpickler.find_class

    def recording(self, module, name):
        seen.add((module, name))
        return original(self, module, name)

    NumpyUnpickler.find_class = recording
    try:
        joblib.load(path)
    finally:
        NumpyUnpickler.find_class = original
    return seen


def test_the_shipped_artifact_loads_from_the_module_paths_it_was_pickled_with():
    ours = {module for module, _ in pickled_globals(DEFAULT_ARTIFACT)
            if module.split(".")[0] == "nlp"}
    assert {"nlp.cues", "nlp.ngrams"} <= ours
    model = SentimentModel._read(DEFAULT_ARTIFACT)
    labels = [s.label for s in model.predict(["质量很好，物流也快，非常满意", "太差了，用两天就坏了，退货"])]
    assert labels == ["positive", "negative"]
