"""CLI start-up: the wall time from starting ``koubei <command> --help`` to its exit, for the
root command and every command, beside ``python -c pass`` (the interpreter alone) measured in
the same run. Median of ``ROUNDS`` runs each; target < 0.5 s, which command modules meet by
importing what a command needs when it runs rather than when ``koubei`` lists it. The CPU time
(user + system) of the slowest command is shown too: on a busy shared machine the wall time
mostly measures waiting for a core, the CPU time what starting costs."""
from __future__ import annotations

import os
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


def _timed(argv: list[str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``ROUNDS`` runs of ``argv``."""
    walls, cpus = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, argv)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return median(walls), median(cpus)


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
    baseline, baseline_cpu = _timed([sys.executable, "-c", "pass"])
    koubei = _koubei()
    both = {" ".join(path) or "(root)": _timed(koubei + path + ["--help"])
            for path in commands()}
    timed = {name: wall for name, (wall, _) in both.items()}
    cpu = {name: used for name, (_, used) in both.items()}
    slowest = max(timed, key=timed.get)
    costliest = max(cpu, key=cpu.get)
    root = timed["(root)"]
    return [
        Figure("CLI start-up: koubei --help", root, "s", baseline, "python -c pass",
               f"< {TARGET} s", root < TARGET),
        Figure(f"CLI start-up, slowest of {len(timed)} commands: koubei {slowest} --help",
               timed[slowest], "s", baseline, "python -c pass", f"< {TARGET} s",
               timed[slowest] < TARGET),
        Figure("CLI start-up, median over commands", median(timed.values()), "s", baseline,
               "python -c pass", f"< {TARGET} s", median(timed.values()) < TARGET),
        Figure(f"CLI start-up CPU time, most of {len(cpu)} commands: koubei {costliest} "
               "--help", cpu[costliest], "s", baseline_cpu, "python -c pass (CPU)",
               f"< {TARGET} s", cpu[costliest] < TARGET),
    ]
