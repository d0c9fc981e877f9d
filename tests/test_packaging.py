"""Packaging: every folder that ships files is a declared package and every file in it is
declared package data, so ``make install`` (setuptools) has nothing to warn about and a wheel
carries the templates, static files, dictionaries, model and demo config."""
from __future__ import annotations

import configparser
import fnmatch
from pathlib import Path

from setuptools import find_namespace_packages, find_packages

ROOT = Path(__file__).resolve().parent.parent


def _options() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _packages() -> set[str]:
    options = _options()
    assert options["options"]["packages"] == "find_namespace:"
    found = options["options.packages.find"]
    return set(find_namespace_packages(str(ROOT), include=_lines(found["include"]),
                                       exclude=_lines(found.get("exclude", ""))))


def test_every_shipped_folder_is_a_package():
    packages = _packages()
    for top in ("crawlers", "nlp", "alerting", "web", "models"):
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]:
            if folder.is_dir() and folder.name != "__pycache__" and any(
                    f.is_file() for f in folder.iterdir()):
                name = ".".join(folder.relative_to(ROOT).parts)
                assert name in packages, name
    assert not any(p.endswith("__pycache__") for p in packages)
    # plain find: (what setuptools warned about) misses the data folders
    assert "web.templates.feed" not in find_packages(str(ROOT), include=["web", "web.*"])


def test_every_data_file_is_declared_package_data():
    patterns = [p.strip() for p in _options()["options.package_data"]["*"].split(",")]
    for package in _packages():
        folder = ROOT.joinpath(*package.split("."))
        for path in folder.iterdir():
            if path.is_file() and path.suffix not in (".py", ".pyc"):
                assert any(fnmatch.fnmatch(path.name, p) for p in patterns), path
