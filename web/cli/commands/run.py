"""``koubei init`` and ``koubei run``: set up the data directory, then run the web app and the
scheduler (and the demo site with ``--demo``) in one process."""
from __future__ import annotations

import logging
import os
import signal

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


@click.command("run")
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
@with_runtime
def run_command(runtime, demo: bool, host: str | None, port: int | None, demo_port: int,
                demo_burst_after: float) -> None:
    """Start the web app and the scheduler (and the demo site with --demo) until stopped."""
    from waitress.server import create_server

    from crawlers.demo import serve_demo_site
    from models.runtime import DEMO_SITE_ENV, PUBLIC_URL_ENV, with_addresses
    from web.app import create_app
    from web.jobs import scheduler_for

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
    app = create_app(runtime)
    try:  # listen first: a busy port must not leave a scheduler crawling behind it
        server = create_server(app, host=host, port=port, threads=8,
                               max_request_body_size=app.config["MAX_CONTENT_LENGTH"])
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    demo_server = None
    if demo:
        demo_server, _ = serve_demo_site("127.0.0.1", demo_port, burst_after=demo_burst_after)
        click.echo(f"demo review site: http://127.0.0.1:{demo_port}/")
    scheduler = scheduler_for(runtime)
    scheduler.start()
    click.echo(f"Koubei is running at http://{host}:{port}/  (Ctrl+C to stop)")

    def terminate(*_):
        raise KeyboardInterrupt  # leave server.run() the same way Ctrl+C does
    signal.signal(signal.SIGTERM, terminate)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        scheduler.shutdown(wait=False)
        if demo_server is not None:
            demo_server.shutdown()
        click.echo("Koubei stopped.")
