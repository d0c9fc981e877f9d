"""``koubei train``, ``koubei analyze``, ``koubei evaluate`` and ``koubei label``."""
from __future__ import annotations

import json
import sys

import click

from nlp.exceptions import NLPError
from web.cli.options import with_runtime

BATCH = 256  # lines analysed per model call by `koubei analyze`


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(1)


@click.command("train")
@click.option("--data", type=click.Path(dir_okay=False),
              help="Labelled CSV (text,label,split); default $KOUBEI_TRAINING_DATA, else the "
                   "shared data.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Where to write the model artifact (default: the shipped "
                   "nlp/artifacts/sentiment.joblib).")
@click.option("--corrections/--no-corrections", default=True, show_default=True,
              help="Learn from the label corrections recorded with `koubei label`.")
@click.option("--weak-stars", is_flag=True,
              help="Use star ratings of stored reviews as weak labels (4-5 positive, 0-2 "
                   "negative).")
@click.option("--adapt", is_flag=True,
              help="Adapt to your own stream: self-training on the texts of the stored reviews "
                   "(the model labels the ones it is surest of and learns from them).")
@with_runtime
def train_command(runtime, data: str | None, out: str | None, corrections: bool,
                  weak_stars: bool, adapt: bool) -> None:
    """Train the sentiment model on the train split; print dev and test figures."""
    from nlp.training.train import train
    from nlp.training.weak import correction_examples, star_examples, stream_texts
    extra = []
    if corrections:
        examples, problems = correction_examples(runtime.home)
        for problem in problems[:20]:
            click.echo(f"skipped {problem}", err=True)
        extra += examples
    if weak_stars:
        extra += star_examples(runtime.store.iter_reviews())
    try:
        stream = stream_texts(runtime.store.iter_reviews()) if adapt else []
        if adapt and not stream:
            click.echo("--adapt: no stored reviews with text to adapt to", err=True)
        result = train(data, out, echo=click.echo, extra=extra, stream=stream)
    except NLPError as exc:
        _fail(exc)
    if result.problems:
        click.echo(f"skipped {len(result.problems)} bad row(s)")
    click.echo(f"model: {result.model.version} -> {result.path}")
    click.echo(f"neutral threshold |score| < {result.model.threshold:.2f} "
               f"(questions < {result.model.question_threshold:.2f})")
    for name, figures in (("dev", result.dev), ("test", result.test)):
        if figures is not None:
            click.echo(f"[{name}]")
            for line in figures.lines():
                click.echo(f"  {line}")
    click.echo(f"took {result.seconds:.1f}s")


@click.command("label")
@click.argument("review_id")
@click.argument("label", type=click.Choice(["negative", "neutral", "positive"]))
@with_runtime
def label_command(runtime, review_id: str, label: str) -> None:
    """Correct the sentiment of a stored review; the next `koubei train` learns from it."""
    from nlp.corrections import record_correction
    review = runtime.store.get(review_id)
    if review is None:
        _fail(f"review {review_id}: not in the store")
    text = f"{review.title}。{review.text}" if review.title else review.text
    try:
        record_correction(runtime.home, review_id, label, text)
    except NLPError as exc:
        _fail(exc)
    was = review.sentiment.label if review.sentiment else "unlabelled"
    click.echo(f"review {review_id}: {was} -> {label} (used by the next `koubei train`)")


def _parse_line(number: int, raw: bytes) -> tuple[object, str | None, str | None]:
    """``(id, text, error)`` for one input line; ``text`` is None when the line is bad."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, f"invalid UTF-8 at byte {exc.start}: {raw[exc.start:exc.start + 4]!r}"
    if not line.lstrip().startswith("{"):
        return number, line, None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
    ident = record.get("id", number)
    if not isinstance(record.get("text"), str):
        return ident, None, "missing \"text\" (a string)"
    return ident, record["text"], None


def _flush(enricher, batch: list[tuple[int, object, str]]) -> None:
    from nlp.enrich import analysis_dict
    analyses = enricher.analyse([text for _, _, text in batch])
    for (_, ident, _), analysis in zip(batch, analyses):
        click.echo(json.dumps({"id": ident} | analysis_dict(analysis), ensure_ascii=False))
    batch.clear()


@click.command("analyze")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Model artifact (default: the shipped one).")
@with_runtime
def analyze_command(runtime, model_path: str | None) -> None:
    """Analyse reviews from stdin: JSONL {"id", "text"} or plain text lines (id = line number).
    Writes one JSON line per input line; a bad line gets {"line", "error"} and is skipped."""
    from nlp.enrich import Enricher
    from nlp.sentiment import SentimentModel
    try:
        enricher = Enricher(runtime.config.entities, model=SentimentModel.load(model_path))
    except NLPError as exc:
        _fail(exc)
    batch: list[tuple[int, object, str]] = []
    try:
        for number, raw in enumerate(sys.stdin.buffer, 1):
            raw = raw.rstrip(b"\r\n")
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            ident, text, error = _parse_line(number, raw)
            if error is not None:
                _flush(enricher, batch)  # keep the output in input order
                where = {"id": ident} if ident is not None else {}
                click.echo(json.dumps(where | {"line": number, "error": error}, ensure_ascii=False))
                continue
            batch.append((number, ident, text))
            if len(batch) >= BATCH:
                _flush(enricher, batch)
    except OSError as exc:
        _fail(f"cannot read standard input: {exc}")
    _flush(enricher, batch)


@click.command("evaluate")
@click.option("--data", type=click.Path(dir_okay=False),
              help="Labelled CSV with text,label columns (default: the shared training data).")
@click.option("--split", default="test", show_default=True,
              help="Rows of this split (train/dev/test), or 'all'. Ignored without a split column.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Model artifact (default: the shipped one).")
def evaluate_command(data: str | None, split: str, model_path: str | None) -> None:
    """Print macro-F1, accuracy and per-class precision/recall of the model on labelled data."""
    from nlp.sentiment import SentimentModel
    from nlp.training.corpus import default_data_path, read_corpus
    from nlp.training.evaluation import evaluate
    try:
        model = SentimentModel.load(model_path)
        corpus = read_corpus(data or default_data_path())
        rows = corpus.require(split)
    except NLPError as exc:
        _fail(exc)
    for problem in corpus.problems[:20]:
        click.echo(f"skipped {problem}", err=True)
    scope = split if corpus.has_splits else "all rows (no split column)"
    click.echo(f"model: {model.version}")
    click.echo(f"data: {corpus.path} [{scope}]")
    for line in evaluate(model, rows).lines():
        click.echo(line)
