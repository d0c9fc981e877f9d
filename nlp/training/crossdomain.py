"""Leave-one-domain-out figures: how the model does on a kind of product it never saw.

python -m nlp.training.crossdomain [CSV]

For each domain of the labelled CSV, the training recipe of ``nlp.training.train`` (same
features, clause examples and balance weights, the ``C`` of the shipped model) is fitted on the
``train`` rows of every other domain and scored on all rows of the held-out domain, by the sign
of the SVM margin (the held-out domain has no dev rows of its own to calibrate on). Prints one
line per domain and the mean macro-F1."""
from __future__ import annotations

import sys
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import f1_score

from nlp.training.corpus import default_data_path, read_corpus
from nlp.training.train import balance_weights, examples, fit_model, with_clauses


def leave_one_domain_out(path, c: float) -> dict[str, tuple[int, float, float]]:
    """``{domain: (rows, macro_f1, accuracy)}``."""
    corpus = read_corpus(path)
    by_domain = defaultdict(list)
    for row in corpus.rows:
        if row.label != "neutral" and row.domain:
            by_domain[row.domain].append(row)
    figures = {}
    for domain in sorted(by_domain):
        train_rows = [r for d, rows in by_domain.items() if d != domain
                      for r in rows if r.split == "train"]
        x_fit, y_fit, weights, domains = with_clauses(*examples(train_rows))
        weights = weights * balance_weights(y_fit, domains)
        pipeline, _ = fit_model(x_fit, y_fit, weights, [c])
        x_held, y_held, _ = examples(by_domain[domain])
        predicted = pipeline.predict(x_held)
        figures[domain] = (len(y_held), float(f1_score(y_held, predicted, average="macro")),
                           float(np.mean(predicted == y_held)))
    return figures


def main(argv: list[str]) -> None:
    from nlp.sentiment import SentimentModel
    c = float(SentimentModel.load().meta["params"]["C"])
    started = time.monotonic()
    figures = leave_one_domain_out(argv[0] if argv else default_data_path(), c)
    for domain, (rows, f1, accuracy) in figures.items():
        print(f"{domain}\trows {rows}\tmacro-F1 {f1:.4f}\taccuracy {accuracy:.4f}")
    print(f"mean macro-F1 {np.mean([f for _, f, _ in figures.values()]):.4f} "
          f"(C={c:g}, {time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
