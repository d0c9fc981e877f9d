"""Leave-one-domain-out figures: how the model does on a kind of product or text it never saw.

    python -m nlp.training.crossdomain [--baseline | --adapt] [--domains D1,D2] [--sample N]
                                       [--seed S] [CSV ...]

For each domain of the labelled CSVs (default: every labelled sentiment file of the shared
data, ``nlp.training.corpus.default_data_paths``), the training recipe of
``nlp.training.train`` (same features, clause examples and balance weights, the ``C`` of the
shipped model) is fitted on the ``train`` rows of every other domain and scored on all
positive/negative rows of the held-out domain, by the sign of the SVM margin (the held-out
domain has no dev rows of its own to calibrate on). With ``--baseline`` the plain baseline
(``baseline_pipeline``: char 1–3-gram TF-IDF + LinearSVC on the raw text) is trained on the
same rows and scored on the same rows. Prints one line per domain and the means.

``--sample N`` is the quick variant for trying a change (a full run takes about an hour on
the shared 2-core machine): at most ``N`` train rows of each training domain and ``N`` rows
of the held-out domain, drawn with a fixed seed (``SAMPLE_SEED``, or ``--seed S``), so two
runs with the same ``N`` and seed see the same rows. Its figures are lower than the full run's
(less training data) and only for comparing variants with each other and with the baseline in
the same run; one standard error of macro-F1 on 1,000 rows is about 0.013, so a difference
from the baseline on one domain means little until other seeds (other rows) agree.

``--adapt`` measures adapting to the user's own stream (``adaptation``): half of each
held-out domain's rows stand for the unlabelled stream ``koubei train --adapt`` would read,
the other half is scored by the recipe trained without and with self-training on them.
"""
from __future__ import annotations

import hashlib
import random
import sys
import time
from collections import defaultdict
from typing import Sequence

import numpy as np
from sklearn.metrics import f1_score

from nlp.training.corpus import default_data_paths, read_corpora
from nlp.training.train import (
    PLAIN_SHARE,
    ExtraExample,
    examples,
    fit_model,
    recipe_examples,
    self_training_examples,
)

BASELINE_C = 0.5
SAMPLE_SEED = 0


def baseline_pipeline(texts, labels):
    """The plain reference of the data README: char 1–3-gram sublinear TF-IDF (min_df 2) +
    LinearSVC, on the raw text, no weights, no clauses, no cues."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC
    pipeline = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2,
                                             sublinear_tf=True), LinearSVC(C=BASELINE_C))
    return pipeline.fit(list(texts), list(labels))


def domain_rows(paths, sample: int | None = None, seed: int = SAMPLE_SEED
                ) -> tuple[dict, dict]:
    """``(train rows, held-out rows)`` per domain: the positive/negative ``train`` rows of
    each domain and all its positive/negative rows; with ``sample``, at most that many of
    each, drawn with ``seed``."""
    corpus = read_corpora(paths)
    by_domain = defaultdict(list)
    for row in corpus.rows:
        if row.label != "neutral" and row.domain:
            by_domain[row.domain].append(row)
    train, held = {}, {}
    draw = random.Random(seed)
    for domain in sorted(by_domain):
        rows = by_domain[domain]
        train[domain] = [r for r in rows if r.split == "train"]
        held[domain] = rows
        if sample:
            train[domain] = draw.sample(train[domain], min(sample, len(train[domain])))
            held[domain] = draw.sample(rows, min(sample, len(rows)))
    return train, held


def held_out(paths, domains=None, sample: int | None = None, seed: int = SAMPLE_SEED):
    """Each domain held out in turn, in name order (only ``domains`` when given): ``(domain,
    the ``train`` rows of every other domain, the domain's rows)`` (``domain_rows``)."""
    train_by, held_by = domain_rows(paths, sample, seed)
    for domain in sorted(held_by):
        if domains and domain not in domains:
            continue
        yield (domain, [r for d, rows in train_by.items() if d != domain for r in rows],
               held_by[domain])


def fit_recipe(train_rows, c: float, extra: Sequence[ExtraExample] = ()):
    """The training recipe's polarity head (no calibration) fitted on ``train_rows`` and the
    ``extra`` examples (added as ``train`` adds them, with their weights)."""
    x_fit, y_fit, weights, plain = recipe_examples(*examples(train_rows),
                                                   [(e.text, e) for e in extra])
    pipeline, _ = fit_model(x_fit, y_fit, weights, [c], plain=plain if PLAIN_SHARE else None)
    return pipeline


def stream_half(text: str) -> bool:
    """True for the half of a held-out domain's rows that plays the user's unlabelled stream
    in ``adaptation`` (by a hash of the text, so the halves are fixed); the other half is
    scored."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()[0] % 2 == 0


def adaptation(paths, c: float, domains=None, echo=lambda line: None,
               sample: int | None = None) -> dict[str, tuple]:
    """``{domain: (scored rows, macro-F1 without adapting, macro-F1 adapted)}``: each domain
    held out in turn; half of its rows (``stream_half``) are given to the recipe as an
    unlabelled stream to adapt to (``self_training_examples``, what ``train(stream=...)``
    does), the other half is scored, by the model trained without and with them."""
    figures = {}
    for domain, train_rows, held_rows in held_out(paths, domains, sample):
        started = time.monotonic()
        stream, _, _ = examples([r for r in held_rows if stream_half(r.text)])
        x_held, y_held, _ = examples([r for r in held_rows if not stream_half(r.text)])
        plain = fit_recipe(train_rows, c)
        chosen = self_training_examples(plain, stream)
        adapted = fit_recipe(train_rows, c, chosen)
        figures[domain] = (len(y_held),
                           float(f1_score(y_held, plain.predict(x_held), average="macro")),
                           float(f1_score(y_held, adapted.predict(x_held), average="macro")))
        rows, before, after = figures[domain]
        echo(f"{domain}\tscored {rows}\tnot adapted {before:.4f}\tadapted {after:.4f}\t"
             f"gain {after - before:+.4f}\t({len(chosen)} of {len(stream)} stream texts "
             f"self-labelled, {time.monotonic() - started:.0f}s)")
    return figures


def leave_one_domain_out(paths, c: float, baseline: bool = False, domains=None,
                         echo=lambda line: None, sample: int | None = None,
                         seed: int = SAMPLE_SEED) -> dict[str, tuple]:
    """``{domain: (rows, macro_f1, accuracy)}``, with the baseline's ``(macro_f1, accuracy)``
    appended when ``baseline`` is true. ``domains``: only these held out (default: all).
    ``sample``: the quick variant (``domain_rows``), its rows drawn with ``seed``."""
    figures = {}
    for domain, train_rows, held_rows in held_out(paths, domains, sample, seed):
        started = time.monotonic()
        pipeline = fit_recipe(train_rows, c)
        x_held, y_held, _ = examples(held_rows)
        predicted = pipeline.predict(x_held)
        result = (len(y_held), float(f1_score(y_held, predicted, average="macro")),
                  float(np.mean(predicted == y_held)))
        if baseline:
            plain = baseline_pipeline([r.text for r in train_rows],
                                      [r.label for r in train_rows])
            gold = [r.label for r in held_rows]
            guess = plain.predict([r.text for r in held_rows])
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
    adapt = "--adapt" in argv
    domains = None
    args = [a for a in argv if a not in ("--baseline", "--adapt")]
    options = {}
    for name in ("--domains", "--sample", "--seed"):
        if name in args:
            at = args.index(name)
            if at + 1 >= len(args):
                raise SystemExit(f"{name} needs a value")
            options[name] = args[at + 1]
            del args[at:at + 2]
    if "--domains" in options:
        domains = set(options["--domains"].split(","))
    sample = None
    if "--sample" in options:
        if not options["--sample"].isdigit() or int(options["--sample"]) < 1:
            raise SystemExit(f"--sample {options['--sample']!r}: a positive number of rows")
        sample = int(options["--sample"])
    seed = SAMPLE_SEED
    if "--seed" in options:
        if not options["--seed"].isdigit():
            raise SystemExit(f"--seed {options['--seed']!r}: a whole number")
        seed = int(options["--seed"])
    c = float(SentimentModel.load().meta["params"]["C"])
    started = time.monotonic()
    if adapt:
        figures = adaptation(args or default_data_paths(), c, domains,
                             echo=lambda text: print(text, flush=True), sample=sample)
        before = np.mean([r[1] for r in figures.values()])
        after = np.mean([r[2] for r in figures.values()])
        print(f"mean macro-F1 not adapted {before:.4f}\tadapted {after:.4f}\tgain "
              f"{after - before:+.4f} (C={c:g}{f', sample {sample}' if sample else ''}, "
              f"{time.monotonic() - started:.0f}s)")
        return
    figures = leave_one_domain_out(args or default_data_paths(), c, baseline, domains,
                                   echo=lambda text: print(text, flush=True), sample=sample,
                                   seed=seed)
    mean = np.mean([r[1] for r in figures.values()])
    summary = f"mean macro-F1 {mean:.4f}"
    if baseline:
        summary += f"\tbaseline {np.mean([r[3] for r in figures.values()]):.4f}"
    wins = ""
    if baseline:
        wins = f", above the baseline on {sum(r[1] > r[3] for r in figures.values())} of " \
               f"{len(figures)}"
    print(f"{summary} (C={c:g}, plain share {PLAIN_SHARE:g}"
          f"{f', sample {sample} rows per domain, seed {seed}' if sample else ''}{wins}, "
          f"{time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main(sys.argv[1:])
