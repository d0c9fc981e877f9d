"""Load and validate the YAML config; every problem names the file, the key path and what was
expected, and all problems are reported at once rather than the first only.

The schema comes from the ``Plugins`` given (``models.config.config_model``), extended by the
third-party types the file names by dotted path (``type: pkg.module.Class``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.config import KoubeiConfig, config_model
from models.config_references import reference_problems
from models.exceptions import ConfigError, ConfigProblem, PluginError
from models.plugins import Plugins


def load_config(path: str | Path, plugins: Plugins) -> KoubeiConfig:
    """Read ``path`` and return the frozen config of ``plugins``' types (and those the file
    names by dotted path), or raise ``ConfigError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"cannot read the file: {exc}")]) from exc
    return parse_config(text, plugins, str(path))


def parse_config(text: str, plugins: Plugins, filename: str = "<config>") -> KoubeiConfig:
    """``load_config`` of ``text``; ``filename`` names it in problems."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigProblem(filename, "", f"invalid YAML: {where}{reason}")]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, "", "expected a mapping at the top level")])
    plugins, problems = _named_types(data, plugins, filename)
    # The schema would report those entries again, as of an unknown type.
    unresolved = {problem.key.removesuffix(".type") for problem in problems}
    # Field errors and cross-reference problems are found independently and reported
    # together, so one run lists everything to fix.
    references = [ConfigProblem(filename, key, msg) for key, msg in reference_problems(data)]
    try:
        config = config_model(plugins).model_validate(data)
    except ValidationError as exc:
        found = [_problem(filename, data, err) for err in exc.errors()]
        found = problems + [p for p in found if p.key not in unresolved]
        raise ConfigError(found + [p for p in references if p not in found]) from exc
    problems += references
    if problems:
        raise ConfigError(problems)
    return config


def _named_types(data: dict, plugins: Plugins, filename: str
                 ) -> tuple[Plugins, list[ConfigProblem]]:
    """``plugins`` plus the types ``data`` names by dotted path, and a problem (keyed
    ``sources[0].type``) for each such ``type`` that names no type of its section. A plain
    name that is unknown is left to the schema, which lists the known ones."""
    found: dict[str, dict[str, type]] = {}
    problems: list[ConfigProblem] = []
    for section, registry in plugins.sections().items():
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("type") if isinstance(item, dict) else None
            if not isinstance(name, str) or "." not in name or name in registry:
                continue
            try:
                found.setdefault(section, {})[name] = registry.resolve(name)
            except PluginError as exc:
                problems.append(ConfigProblem(filename, f"{section}[{i}].type", str(exc)))
    return plugins.extended({s: types.values() for s, types in found.items()}), problems


def _problem(filename: str, data: Any, error: dict) -> ConfigProblem:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown type {error.get('input', {}).get('type')!r}; expected one of " \
                  f"{error['ctx']['expected_tags']}, or a dotted path pkg.module.Class"
    return ConfigProblem(filename, _key_path(data, error["loc"]), message)


def _key_path(data: Any, loc: tuple) -> str:
    """Render a pydantic location as ``sources[0].app_id``, dropping the discriminator tags
    pydantic inserts for tagged unions (``sources.0.appstore.app_id``)."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
            continue
        if isinstance(node, dict) and item not in node and node.get("type") == item:
            continue  # the union tag, not a key of the file
        parts.append(f".{item}" if parts else str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)
