"""Leave-one-domain-out figures: how the model does on a kind of product or text it never saw.

    python -m nlp.training.crossdomain [--baseline] [--domains D1,D2] [CSV ...]

For each domain of the labelled CSVs (default: every labelled sentiment file of the shared
data, ``nlp.training.corpus.default_data_paths``), the training recipe of
``nlp.training.train`` (same features, clause examples and balance weights, the ``C`` of the
shipped model) is fitted on the ``train`` rows of every other domain and scored on all
positive/negative rows of the held-out domain, by the sign of the SVM margin (the held-out
domain has no dev rows of its own to calibrate on). With ``--baseline`` the plain baseline
(``baseline_pipeline``: char 1–3-gram TF-IDF + LinearSVC on the raw text) is trained on the
same rows and scored on the same rows. Prints one line per domain and the means.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import f1_score

from nlp.training.corpus import default_data_paths, read_corpora
from nlp.training.train import balance_weights, examples, fit_model, with_clauses

BASELINE_C = 0.5


def baseline_pipeline(texts, labels):
    """The plain reference of the data README: char 1–3-gram sublinear TF-IDF (min_df 2) +
    LinearSVC, on the raw text, no weights, no clauses, no cues."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                             sublinear_tf=True), LinearSVC(C=BASELINE_C))
    return pipeline.fit(list(texts), list(labels))


def leave_one_domain_out(paths, c: float, baseline: bool = False, domains=None,
                         echo=lambda line: None) -> dict[str, tuple]:
    """``{domain: (rows, macro_f1, accuracy)}``, with the baseline's ``(macro_f1, accuracy)``
    appended when ``baseline`` is true. ``domains``: only these held out (default: all)."""
    corpus = read_corpora(paths)
    by_domain = defaultdict(list)
    for row in corpus.rows:
        if row.label != "neutral" and row.domain:
            by_domain[row.domain].append(row)
    figures = {}
    for domain in sorted(by_domain):
        if domains and domain not in domains:
            continue
        started = time.monotonic()
        train_rows = [r for d, rows in by_domain.items() if d != domain
                      for r in rows if r.split == "train"]
        x_fit, y_fit, weights, fit_domains = with_clauses(*examples(train_rows))
        weights = weights * balance_weights(y_fit, fit_domains)
        pipeline, _ = fit_model(x_fit, y_fit, weights, [c])
        del x_fit
        x_held, y_held, _ = examples(by_domain[domain])
        predicted = pipeline.predict(x_held)
        result = (len(y_held), float(f1_score(y_held, predicted, average="macro")),
                  float(np.mean(predicted == y_held)))
        if baseline:
            plain = baseline_pipeline([r.text for r in train_rows],
                                      [r.label for r in train_rows])
            gold = [r.label for r in by_domain[domain]]
            guess = plain.predict([r.text for r in by_domain[domain]])
            result += (float(f1_score(gold, guess, average="macro")),
                       float(np.mean(np.array(gold) == guess)))
        figures[domain] = result
        echo(line(domain, result) + f"\t({time.monotonic() - started:.0f}s)")
    return figures


def line(domain: str, result: tuple) -> str:
    text = f"{domain}\trows {result[0]}\tmacro-F1 {result[1]:.4f}\taccuracy {result[2]:.4f}"
    if len(result) > 3:
        text += f"\tbaseline macro-F1 {result[3]:.4f}\taccuracy {result[4]:.4f}"
    return text


def main(argv: list[str]) -> None:
    from nlp.sentiment import SentimentModel
    baseline = "--baseline" in argv
    domains = None
    args = [a for a in argv if a != "--baseline"]
    if "--domains" in args:
        at = args.index("--domains")
        domains = set(args[at + 1].split(","))
        del args[at:at + 2]
    c = float(SentimentModel.load().meta["params"]["C"])
    started = time.monotonic()
    figures = leave_one_domain_out(args or default_data_paths(), c, baseline, domains,
                                   echo=lambda text: print(text, flush=True))
    mean = np.mean([r[1] for r in figures.values()])
    summary = f"mean macro-F1 {mean:.4f}"
    if baseline:
        summary += f"\tbaseline {np.mean([r[3] for r in figures.values()]):.4f}"
    print(f"{summary} (C={c:g}, {time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
