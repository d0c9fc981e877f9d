"""CLI start-up: the wall time from starting ``koubei <command> --help`` to its exit, for the
root command and every command, beside ``python -c pass`` (the interpreter alone) measured in
the same run. Median of ``ROUNDS`` runs each; target < 0.5 s, which command modules meet by
importing what a command needs when it runs rather than when ``koubei`` lists it."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from benchmarks.table import Figure

ROUNDS = 5
TARGET = 0.5  # seconds


def _koubei() -> list[str]:
    script = Path(sys.executable).with_name("koubei")
    found = str(script) if script.exists() else shutil.which("koubei")
    return [found] if found else [sys.executable, "-m", "web.cli"]


def _seconds(argv: list[str]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return median(times)


def commands() -> list[list[str]]:
    """``[]`` (the root) and every command path, sub-commands included."""
    from web.cli import main  # cheap now; the point of this benchmark

    paths: list[list[str]] = [[]]
    for name, command in sorted(main.commands.items()):
        paths.append([name])
        for sub in sorted(getattr(command, "commands", {})):
            paths.append([name, sub])
    return paths


def run() -> list[Figure]:
    baseline = _seconds([sys.executable, "-c", "pass"])
    koubei = _koubei()
    timed = {" ".join(path) or "(root)": _seconds(koubei + path + ["--help"])
             for path in commands()}
    slowest = max(timed, key=timed.get)
    root = timed["(root)"]
    return [
        Figure("CLI start-up: koubei --help", root, "s", baseline, "python -c pass",
               f"< {TARGET} s", root < TARGET),
        Figure(f"CLI start-up, slowest of {len(timed)} commands: koubei {slowest} --help",
               timed[slowest], "s", baseline, "python -c pass", f"< {TARGET} s",
               timed[slowest] < TARGET),
        Figure("CLI start-up, median over commands", median(timed.values()), "s", baseline,
               "python -c pass", f"< {TARGET} s", median(timed.values()) < TARGET),
    ]
