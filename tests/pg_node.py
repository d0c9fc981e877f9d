"""A throw-away PostgreSQL cluster on 127.0.0.1 for the tests and the benchmarks.

The server comes from Debian's ``postgresql`` package (``make test`` installs it when missing):
``PostgresNode.start`` runs ``initdb`` into a fresh temporary directory (trust authentication,
no fsync: the data is thrown away) and ``pg_ctl start`` on a free loopback port, its socket in
the same directory. ``database()`` creates an empty database and returns its URL; ``stop``
stops the server and deletes the directory. PostgreSQL refuses to run as root, so under root
the cluster runs as ``nobody``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support import free_port

NOBODY = 65534


class NodeError(RuntimeError):
    pass


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` directory (Debian keeps it under
    /usr/lib/postgresql/VERSION/bin, off the PATH), or None."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def server_available() -> bool:
    return server_bin() is not None


class PostgresNode:
    def __init__(self):
        self.bin = server_bin()
        self.port = free_port()
        self.run_dir = Path(tempfile.mkdtemp(prefix="koubei-pg-"))
        self.data = self.run_dir / "data"
        self.user = "koubei"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:
            argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                    *argv]
        done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              cwd=self.run_dir)
        if check and done.returncode != 0:
            raise NodeError(f"{command[0]} exited with {done.returncode}:\n"
                            f"{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> "PostgresNode":
        if self.bin is None:
            raise NodeError("no PostgreSQL server installed (Debian package postgresql)")
        self.run_dir.chmod(0o755)
        if os.geteuid() == 0:
            os.chown(self.run_dir, NOBODY, NOBODY)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.run_dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.run_dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name unless given) and return its URL."""
        import psycopg  # the driver is a dependency; imported here to keep this module light
        name = name or f"kb_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def log_tail(self, lines: int = 30) -> str:
        path = self.run_dir / "server.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory."""
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.run_dir, ignore_errors=True)
