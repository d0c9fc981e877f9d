"""Writing the config file back (the rule editor): ruamel.yaml's round trip keeps comments, key
order, flow style and quoting of everything not changed; the new text is validated exactly as
``koubei config check`` does (``models.loader.parse_config``, the same ``ConfigError``) before
anything is written; the file written before is kept as a backup; the write is atomic (a
temporary file renamed over the config), so a reader never sees half a file.

``ConfigFile.version`` is a hash of the text: an editor sends back the version it read, and
``save`` refuses with ``StaleConfig`` when the file changed in between.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from models.config import KoubeiConfig
from models.exceptions import ConfigError, KoubeiError
from models.loader import parse_config
from models.plugins import Plugins
from models.runtime import DEMO_CONFIG

BACKUPS = "config-backups"


class CannotSave(KoubeiError):
    """The edit is valid but cannot be written (see the subclasses)."""


class StaleConfig(CannotSave):
    """The config file changed after the editor read it."""


class BundledConfig(CannotSave):
    """The config in use is the demo config shipped inside the package: never edited in
    place (an upgrade would overwrite it, and other installs share it)."""


def _yaml() -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the user wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _like(value: Any, old: Any) -> Any:
    """A list written in the style of the one it replaces (``[a, b]`` stays on one line), or
    in flow style when ``old`` is True (its siblings are written so)."""
    if not isinstance(value, list):
        return value
    seq = CommentedSeq(value)
    if old is True or (isinstance(old, CommentedSeq) and old.fa.flow_style()):
        seq.fa.set_flow_style()
    return seq


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class ConfigFile:
    """The config file at ``path`` as the editor sees it."""

    def __init__(self, path: str | Path, plugins: Plugins):
        """``plugins``: the source, rule and channel types the text is validated against."""
        self.path = Path(path)
        self.plugins = plugins
        self.text = self.path.read_text(encoding="utf-8")
        self.version = version_of(self.text)
        self.data = _yaml().load(self.text) or CommentedMap()

    def index(self, section: str, name: str) -> int:
        """The position of the item ``name`` under ``section:`` (entities are named by
        ``id``, everything else by ``name``); KeyError when absent."""
        key = "id" if section == "entities" else "name"
        for i, item in enumerate(self.data.get(section) or []):
            if isinstance(item, dict) and item.get(key) == name:
                return i
        raise KeyError(name)

    def item(self, section: str, name: str) -> dict[str, Any]:
        """The item's keys as written in the file (durations stay ``"10m"``)."""
        return dict(self.data[section][self.index(section, name)])

    def with_item(self, section: str, name: str, values: dict[str, Any]) -> str:
        """The file's text with the item ``name`` of ``section`` set to ``values``: keys kept
        in place (with their comments), changed values replaced, dropped keys removed, new
        keys appended."""
        node = self.data[section][self.index(section, name)]
        for key in [k for k in node if k not in values]:
            del node[key]
        flow = any(isinstance(v, CommentedSeq) and v.fa.flow_style() for v in node.values())
        for key, value in values.items():
            if key not in node or node[key] != value:
                old = node.get(key)
                node[key] = _like(value, old if old is not None else (flow or None))
        out = io.StringIO()
        _yaml().dump(self.data, out)
        return out.getvalue()

    def rule(self, name: str) -> dict[str, Any]:
        return self.item("rules", name)

    def with_rule(self, name: str, values: dict[str, Any]) -> str:
        return self.with_item("rules", name, values)

    def check(self, text: str) -> KoubeiConfig:
        """``text`` validated as ``koubei config check`` would; raises ``ConfigError``."""
        return parse_config(text, self.plugins, str(self.path))

    def save(self, text: str, expected_version: str | None, backups: Path) -> Path:
        """Validate ``text`` and write it over the file, keeping the current file as a backup
        in ``backups``; returns the backup's path. ``ConfigError`` when invalid (nothing is
        written), ``StaleConfig`` when the file is no longer ``expected_version``,
        ``BundledConfig`` for the demo config inside the package."""
        self.check(text)
        if self.path.resolve() == DEMO_CONFIG.resolve():
            raise BundledConfig(f"{self.path} is the bundled demo config: copy it to "
                                "$KOUBEI_HOME/koubei.yaml (or point KOUBEI_CONFIG at a copy) "
                                "and restart, then edit that file")
        current = self.path.read_text(encoding="utf-8")
        if expected_version is not None and version_of(current) != expected_version:
            raise StaleConfig(f"{self.path} changed since it was read; reload and edit again")
        backups.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        backup = backups / f"{self.path.stem}-{stamp}{self.path.suffix}"
        shutil.copy2(self.path, backup)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)
        return backup


__all__ = ["BACKUPS", "BundledConfig", "CannotSave", "ConfigError", "ConfigFile", "StaleConfig",
           "version_of"]
