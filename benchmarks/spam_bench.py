"""Precision and recall of the ``spam`` flag on a hand-written set (``data/spam_flags.csv``):
advertisements, complaints that mention WeChat / QQ / 私信 (the flag must leave these alone,
since a flagged complaint used to drop out of the negative counts), and ordinary reviews.
The baseline flags every text that names a contact channel at all, as a keyword list would.
The set was written for this benchmark by the project; it is small (65 texts), so the
figures say which mistakes the rules make, not how often they make them in production."""
from __future__ import annotations

import csv
import re
from pathlib import Path

from benchmarks.table import Figure
from nlp.flags import SPAM_FLAG, Flagger
from nlp.normalize import normalize

DATA = Path(__file__).with_name("data") / "spam_flags.csv"
_ANY_CONTACT = re.compile(r"微信|薇信|威信|vx|wx|qq|扣扣|企鹅|私信|私聊|加v|\+v|链接|http",
                          re.IGNORECASE)


def rows() -> list[tuple[str, bool]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"] == "ad") for row in csv.DictReader(handle)]


def precision_recall(predicted: list[bool], truth: list[bool]) -> tuple[float, float]:
    hits = sum(p and t for p, t in zip(predicted, truth))
    return hits / max(1, sum(predicted)), hits / max(1, sum(truth))


def run() -> list[Figure]:
    labelled = rows()
    truth = [is_ad for _, is_ad in labelled]
    flagger = Flagger()
    ours = [SPAM_FLAG in flagger.flags(text, normalize(text).text) for text, _ in labelled]
    naive = [_ANY_CONTACT.search(normalize(text).text) is not None for text, _ in labelled]
    (p, r), (bp, br) = precision_recall(ours, truth), precision_recall(naive, truth)
    complaints = [text for text, is_ad in labelled if not is_ad]
    return [
        Figure(f"spam flag precision ({sum(truth)} ads in {len(labelled)} texts)", p, "",
               bp, "any contact word", "≥ 0.95", p >= 0.95),
        Figure("spam flag recall", r, "", br, "any contact word", "≥ 0.90", r >= 0.90),
        Figure(f"complaints/reviews flagged as spam (of {len(complaints)})",
               sum(o for o, t in zip(ours, truth) if not t), "",
               sum(n for n, t in zip(naive, truth) if not t), "any contact word"),
    ]
