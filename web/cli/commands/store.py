"""``koubei store check`` and ``koubei store migrate``: look at and move the review store.

A backend's options come from the config when it is the configured backend (``store.options``),
else they are empty; the Elasticsearch backend also reads ``KOUBEI_ES_URL`` and friends.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from models.exceptions import StoreError
from web.cli.options import with_runtime

if TYPE_CHECKING:
    from models.store import ReviewStore

BATCHES_PER_CALL = 10  # read batches handed to the target store per upsert while migrating


@click.group("store")
def store_group() -> None:
    """Inspect or migrate the review store."""


def _open(runtime, backend: str) -> ReviewStore:
    from models.store import open_review_store  # here: `koubei --help` loads no store

    options = runtime.config.store.options if runtime.config.store.backend == backend else {}
    runtime.home.mkdir(parents=True, exist_ok=True)
    return open_review_store(backend, runtime.home, **options)


def _where(runtime, backend: str, details: dict) -> str:
    """Which store a migration reads or writes, and where its address came from."""
    if "path" in details:
        return f"{backend}: {details['path']}"
    if "url" not in details:
        return backend
    if os.environ.get("KOUBEI_ES_URL"):
        origin = "from KOUBEI_ES_URL"
    elif runtime.config.store.backend == backend and runtime.config.store.options.get("url"):
        origin = "from store.options.url"
    else:
        origin = "the default: neither KOUBEI_ES_URL nor store.options.url is set"
    return f"{backend}: {details['url']} ({origin})"


@store_group.command("check")
@with_runtime
def check_command(runtime) -> None:
    """Report connectivity, health, template/alias state and document counts; exit 1 when
    the store cannot be used."""
    backend = runtime.config.store.backend
    try:
        store = runtime.store
        stats = store.stats()
        click.echo(f"backend: {backend}")
        click.echo(f"reviews: {stats.reviews}")
        if backend == "elasticsearch":
            from models.store.elasticsearch.check import cluster_report
            for label, value in cluster_report(store):
                click.echo(f"{label}: {value}")
        else:
            for key, value in stats.details.items():
                if key != "backend":
                    click.echo(f"{key}: {value}")
    except StoreError as exc:
        click.echo(f"store check failed: {exc}", err=True)
        raise SystemExit(1)


@store_group.command("upgrade")
@with_runtime
def upgrade_command(runtime) -> None:
    """Bring Elasticsearch documents written under an older index template up to date (they
    gain the fields later versions added), with a progress bar; the reviews themselves and
    their place in the live feed do not change. Nothing to do on SQLite."""
    if runtime.config.store.backend != "elasticsearch":
        click.echo(f"nothing to upgrade: the {runtime.config.store.backend} store upgrades "
                   "itself when opened")
        return
    from models.store.elasticsearch.connect import translated_errors
    from models.store.elasticsearch.upgrade import pending_upgrades, upgrade_documents
    try:
        store = runtime.store
        with translated_errors(store.url), click.progressbar(
                length=pending_upgrades(store), label="upgrading", file=sys.stderr) as bar:
            result = upgrade_documents(store, bar.update)
    except StoreError as exc:
        click.echo(f"upgrade stopped: {exc}", err=True)
        raise SystemExit(1)
    click.echo(f"upgraded {result.upgraded} documents; {result.replaced} were rewritten by a "
               f"writer meanwhile (already current), {result.rejected} refused")
    if result.rejected:
        raise SystemExit(1)


@store_group.command("migrate")
@click.option("--from", "source_name", required=True, help="Backend to copy from (sqlite, ...).")
@click.option("--to", "target_name", required=True, help="Backend to copy to (elasticsearch, ...).")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000))
@with_runtime
def migrate_command(runtime, source_name: str, target_name: str, batch_size: int) -> None:
    """Copy every review from one backend to the other, with a progress bar, and verify that
    each one arrived (same id, same fingerprint). Exit 1 when any is missing. Says which
    SQLite file it reads and which Elasticsearch it writes (KOUBEI_ES_URL, else the config's
    store.options.url when Elasticsearch is the configured backend, else localhost:9200).
    Safe to run again: reviews are written by id, so a rerun updates rather than duplicates."""
    from models.store.base import batches_by_id

    if source_name == target_name:
        raise click.UsageError("--from and --to name the same backend")
    try:
        source, target = _open(runtime, source_name), _open(runtime, target_name)
    except StoreError as exc:
        click.echo(f"cannot open the stores: {exc}", err=True)
        raise SystemExit(1)
    try:
        stats = source.stats()
        total = stats.reviews
        click.echo(f"from {_where(runtime, source_name, stats.details)} ({total} reviews)")
        click.echo(f"to {_where(runtime, target_name, target.stats().details)}")
        moved = missing = problems = 0
        with click.progressbar(length=total, label=f"{source_name} -> {target_name}",
                               file=sys.stderr) as bar:
            # several batches per call, so that the Elasticsearch writer prepares one while
            # it sends another (it looks ahead only within one call)
            chunk = batch_size * BATCHES_PER_CALL
            for by_id in batches_by_id(source.iter_reviews(batch_size=batch_size), chunk):
                batch = list(by_id.values())
                result = target.upsert(batch)
                problems += result.spooled + result.rejected
                found = target.fingerprints(by_id)
                missing += sum(1 for r in batch if found.get(r.id) != r.fingerprint())
                moved += len(batch)
                bar.update(len(batch))
        in_target = target.stats().reviews
        click.echo(f"migrated {moved} of {total} reviews; {target_name} now holds {in_target}")
        if moved != total or missing or problems or in_target < total:
            click.echo(f"verification FAILED: {missing} reviews missing or different in "
                       f"{target_name}, {problems} spooled or rejected", err=True)
            raise SystemExit(1)
        click.echo("verified: every review is in the target with the same fingerprint")
    except StoreError as exc:
        click.echo(f"migration stopped: {exc}", err=True)
        raise SystemExit(1)
    finally:
        source.close()
        target.close()
