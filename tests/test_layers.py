"""The layers of ``docs/design.md``, enforced: every import of every module of the five
packages (at module level, inside functions and under ``TYPE_CHECKING`` alike, and modules
named to ``importlib.import_module`` as string literals) points down or sideways within its
own package, never up, and ``crawlers`` and ``alerting`` never import each other."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# A package may import from the packages listed for it (and from itself), nothing else here.
ALLOWED = {
    "models": set(),
    "nlp": {"models"},
    "crawlers": {"models", "nlp"},
    "alerting": {"models", "nlp"},
    "web": {"models", "nlp", "crawlers", "alerting"},
}


def modules() -> list[Path]:
    return sorted(path for package in ALLOWED for path in (ROOT / package).rglob("*.py"))


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every module ``tree`` imports, however it is written."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def wrong_edges(path: Path) -> list[str]:
    package = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    edges = []
    for line, name in imported_modules(tree):
        target = name.split(".")[0]
        if target in ALLOWED and target != package and target not in ALLOWED[package]:
            edges.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return edges


def test_every_import_points_down_the_layers():
    assert len(modules()) > 100  # the walk found the code base
    assert [edge for path in modules() for edge in wrong_edges(path)] == []


@pytest.mark.parametrize("source, wrong", [
    ("from alerting.detect import crisis\n", "crawlers/x.py:1 imports alerting.detect"),
    ("def f():\n    import web.app\n", "crawlers/x.py:2 imports web.app"),
    ("import importlib\nimportlib.import_module('alerting.detect.tick')\n",
     "crawlers/x.py:2 imports alerting.detect.tick"),
])
def test_the_walk_sees_every_way_of_importing(tmp_path, monkeypatch, source, wrong):
    fake = tmp_path / "crawlers" / "x.py"
    fake.parent.mkdir()
    fake.write_text(source, encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert wrong_edges(fake) == [wrong]


def test_the_scheduler_and_reports_load_no_part_of_the_web_app():
    # The scheduler's jobs (and the report mail they send) run without the Flask app: importing
    # them must not import a blueprint, the app factory or the request-time security modules.
    import subprocess
    import sys

    code = ("import sys, web.jobs, web.crawl_child; "
            "print(' '.join(m for m in sys.modules if m.startswith('web.')))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split()
    assert "web.reports.mail" in loaded
    assert [m for m in loaded if m.startswith(("web.app", "web.pages", "web.api",
                                               "web.security", "web.reads"))] == []
