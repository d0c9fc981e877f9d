"""``koubei init`` and ``koubei run``: set up the data directory, then run one role of the
system, or all of them in one process (the embedded default).

Roles (``--role``): ``web`` serves the app (stateless: sessions, tokens and login throttling
live in the state database, so any number of web processes can serve behind a proxy);
``scheduler`` runs detection, escalation, reports and queues crawls while it holds the
scheduler lease (run two for failover); ``worker`` claims queued crawls and runs them;
``all`` is the three in one process.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import timedelta

import click

from web.cli.options import with_runtime

log = logging.getLogger("koubei")


def initialise(runtime) -> list[str]:
    """Create the data directory, the stores and the configured users; return what was done."""
    from sqlalchemy import select  # here, as every import this module needs to run something:

    from models.state import User  # `koubei --help` lists the command without loading them
    done = [f"data directory: {runtime.home}", f"config: {runtime.config_path}"]
    stats = runtime.store.stats()
    done.append(f"review store: {stats.details.get('backend', '?')} ({stats.reviews} reviews)")
    with runtime.state.session() as session:
        known = set(session.scalars(select(User.username)))
        for user in runtime.config.users:
            if user.username not in known:
                session.add(User(username=user.username, display_name=user.display_name,
                                 role=user.role, entities=list(user.entities), email=user.email))
                done.append(f"user added: {user.username} ({user.role})")
    done.append(f"state database: {runtime.state.url}")
    done += first_admin_password(runtime)
    return done


def first_admin_password(runtime) -> list[str]:
    """Give the first configured admin a password when nobody can sign in yet:
    ``$KOUBEI_ADMIN_PASSWORD`` when set, else a random one, printed this once."""
    from sqlalchemy import select

    from models.state import User
    from web.security.accounts import set_password
    with runtime.state.session() as session:
        if session.scalars(select(User).where(User.password_hash.is_not(None))).first():
            return []
        admin = session.scalars(select(User).where(User.role == "admin", User.disabled.is_(False))
                                .order_by(User.id)).first()
        if admin is None:
            return []
        username = admin.username
    import secrets

    given = os.environ.get("KOUBEI_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    set_password(runtime.state, username, password)
    if given:
        return [f"admin account: {username} (password from KOUBEI_ADMIN_PASSWORD)"]
    return [f"admin account: {username}  password: {password}  "
            "(shown once; change it on the account page, or `koubei users password`)"]


@click.command("init")
@with_runtime
def init_command(runtime) -> None:
    """Create the data directory and databases; safe to run again."""
    for line in initialise(runtime):
        click.echo(line)


ROLES = ("all", "web", "scheduler", "worker")


@click.command("run")
@click.option("--role", type=click.Choice(ROLES), default="all", show_default=True,
              help="What this process runs: the web app, the scheduler (one leads at a time), "
                   "a crawl worker, or all three.")
@click.option("--demo/--no-demo", default=False,
              help="Also start the bundled demo review site the demo config crawls.")
@click.option("--host", help="Listen address (default: web.host from the config).")
@click.option("--port", type=int, help="Listen port (default: web.port from the config); "
                                       "links in notifications follow it unless the config "
                                       "sets another web.public_url.")
@click.option("--demo-port", type=int, default=8081, show_default=True,
              help="Port of the demo site; the config's sources and channels on "
                   "127.0.0.1:8081 (the demo config's) follow it.")
@click.option("--demo-burst-after", type=float, default=40.0, show_default=True,
              help="Seconds after start when the demo site publishes its negative burst.")
@click.option("--lease-ttl", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="Seconds a dead scheduler keeps the lead before another takes over.")
@click.option("--crawl-workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Crawls this process runs at the same time (worker and all roles).")
@with_runtime
def run_command(runtime, role: str, demo: bool, host: str | None, port: int | None,
                demo_port: int, demo_burst_after: float, lease_ttl: float,
                crawl_workers: int) -> None:
    """Run one role of Koubei (default: all of them, with the demo site under --demo) until
    stopped (Ctrl+C or SIGTERM)."""
    from crawlers.demo import serve_demo_site
    from models.lease import PROCESS
    from models.runtime import DEMO_SITE_ENV, PUBLIC_URL_ENV, with_addresses

    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    host = host or runtime.config.web.host
    port = port or runtime.config.web.port
    # Every runtime of this process and of its crawl children reads these (with_addresses).
    web = runtime.config.web
    if web.public_url in (None, f"http://{web.host}:{web.port}"):  # it described this server
        os.environ[PUBLIC_URL_ENV] = f"http://{host}:{port}"
    if demo:
        os.environ[DEMO_SITE_ENV] = f"http://127.0.0.1:{demo_port}"
    runtime.config = with_addresses(runtime.config)
    for line in initialise(runtime):
        click.echo(line)
    # listen first: a busy port must not leave a scheduler crawling behind it
    server = _web_server(runtime, host, port) if role in ("all", "web") else None
    stop = threading.Event()
    threads, demo_server = [], None
    if demo:
        demo_server, _ = serve_demo_site("127.0.0.1", demo_port, burst_after=demo_burst_after)
        click.echo(f"demo review site: http://127.0.0.1:{demo_port}/")
    if role in ("all", "scheduler"):
        threads.append(_scheduler_thread(runtime, stop, lease_ttl))
        click.echo(f"scheduler {PROCESS}: leads while it holds the lease "
                   f"(failover after {lease_ttl:g}s)")
    spares = None
    if role in ("all", "worker"):
        spares = _spare_children(runtime, crawl_workers)
        threads += _worker_threads(runtime, stop, crawl_workers, spares)
        click.echo(f"crawl worker {PROCESS}: {crawl_workers} crawl(s) at a time")

    def terminate(*_):
        raise KeyboardInterrupt  # leave the wait the same way Ctrl+C does
    signal.signal(signal.SIGTERM, terminate)
    try:
        if server is not None:
            click.echo(f"Koubei is running at http://{host}:{port}/  (Ctrl+C to stop)")
            server.run()
        else:
            while not stop.wait(3600):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        if spares is not None:
            spares.close()
        if demo_server is not None:
            demo_server.shutdown()
        click.echo("Koubei stopped.")


def _scheduler_thread(runtime, stop: threading.Event, lease_ttl: float) -> threading.Thread:
    from alerting.scheduler import LeaderScheduler
    from models.lease import LeaderLease
    from web.jobs import scheduler_for

    leader = LeaderScheduler(lambda fence: scheduler_for(runtime, fence=fence),
                             LeaderLease(runtime.state, ttl=timedelta(seconds=lease_ttl)))
    thread = threading.Thread(target=leader.run, args=(stop,), name="scheduler-election")
    thread.start()
    return thread


def _spare_children(runtime, count: int):
    """The crawl children the ``count`` workers share, one waiting per worker: a crawl takes
    the one that has waited longest (see ``crawlers.child.SpareChild``)."""
    from web.jobs import spare_crawl_child

    return spare_crawl_child(runtime.config_path, runtime.home, size=count)


def _worker_threads(runtime, stop: threading.Event, count: int,
                    spares=None) -> list[threading.Thread]:
    from models.lease import PROCESS
    from web.jobs import work_crawls

    # daemon threads: a stop does not wait for a long crawl (its child has its own timeout,
    # and the job, no longer beating, is given up and queued again later)
    threads = [threading.Thread(target=work_crawls, name=f"crawl-worker-{i}", daemon=True,
                                args=(runtime, stop, f"{PROCESS}/{i}"),
                                kwargs={"spare": spares}) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def _web_server(runtime, host: str, port: int):
    """The web app's server, listening (not yet serving); a click error when it cannot."""
    from waitress.server import create_server

    from web.app import create_app

    app = create_app(runtime)
    try:
        return create_server(app, host=host, port=port, threads=8,
                             max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
