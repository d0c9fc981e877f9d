"""``koubei crawl``, ``koubei import`` and ``koubei demo-site``."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from models.exceptions import KoubeiError
from web.cli.options import with_runtime


@click.command("crawl")
@click.argument("source_names", metavar="SOURCE_NAME...", nargs=-1)
@with_runtime
def crawl(runtime, source_names: tuple[str, ...]) -> None:
    """Crawl each SOURCE_NAME once (every enabled source when none is named) and print
    new/updated/unchanged/dropped/errors per source. Exits 1 when a crawl failed outright."""
    from crawlers.batches import crawl_batches
    from crawlers.exceptions import UnknownSource
    from crawlers.runner import find_source
    from web.jobs import crawls_in_child

    try:
        sources = [find_source(runtime.config, name) for name in dict.fromkeys(source_names)] or \
            [s for s in runtime.config.sources if s.enabled]
    except UnknownSource as exc:
        raise click.UsageError(str(exc))
    failed = False
    # Each batch (at most one source per site) is crawled at once in one child process.
    reports = {}
    for batch in crawl_batches(sources):
        names = [s.name for s in batch]
        reports.update(zip(names, crawls_in_child(runtime.config_path, runtime.home, names)))
    for source in sources:
        report = reports[source.name]
        click.echo(f"{source.name}: {report.summary()}")
        for problem in report.problems:
            click.echo(f"{source.name}: {problem}", err=True)
        if not report.ok:
            failed = True
            click.echo(f"{source.name}: crawl failed: {report.error}", err=True)
    if failed:
        sys.exit(1)


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter(f"expected FIELD=COLUMN such as text=评论内容, got {value!r}",
                                     param_hint="--map")
        mapping[field.strip()] = column.strip()
    return mapping


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", required=True,
              help="Source name the reviews belong to (a configured file source applies its "
                   "mapping, entities and timezone).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]),
              help="File format (default: from the file name).")
@click.option("--encoding",
              help="Text encoding (default: UTF-8, with or without BOM, else GB18030).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Which column holds a review field, e.g. --map text=评论内容 (repeatable).")
@with_runtime
def import_(runtime, file: Path, source_name: str, fmt: str | None, encoding: str | None,
            maps: tuple[str, ...]) -> None:
    """Import reviews from a CSV, JSONL or XLSX FILE. Bad rows are listed on stderr as FILE:LINE:
    reason and skipped. Exits 1 when the file had rows and none could be imported."""
    from crawlers.importers import import_file

    mapping = _mapping(maps)
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=file.stat().st_size, label="importing",
                                   file=sys.stderr) as bar:
                report = import_file(runtime, file, source_name, mapping, fmt, encoding,
                                     progress=bar.update)
        else:
            report = import_file(runtime, file, source_name, mapping, fmt, encoding)
    except KoubeiError as exc:  # the file cannot be read, or the analyser or store failed
        click.echo(f"import failed: {exc}", err=True)
        sys.exit(1)
    for bad in report.bad:
        click.echo(str(bad), err=True)
    click.echo(report.column_summary())
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command("demo-site")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--burst-after", default=40.0, show_default=True, type=float,
              help="Seconds after start of the first negative burst.")
@click.option("--burst-every", default=15.0, show_default=True, type=float,
              help="Minutes between negative bursts (0: only one).")
def demo_site(host: str, port: int, seed: int, burst_after: float, burst_every: float) -> None:
    """Serve the demo review site (App Store feed format) and the demo webhook receiver."""
    from crawlers.demo import serve_demo_site
    from crawlers.demo.feed import feed_path

    try:
        server, _thread = serve_demo_site(host, port, seed, burst_after,
                                          burst_every=burst_every * 60 or None)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    base = f"http://{host}:{server.server_address[1]}"
    click.echo(f"demo reviews: {base}{feed_path('cn', '1000000001', 1)}")
    click.echo(f"webhook receiver: {base}/hooks   (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
