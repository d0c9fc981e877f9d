"""A rule's config as a form and back: one input per field of the rule type's config model
(found through the config union, so a new rule type needs nothing here), values shown as they
are written in YAML (``10m``, ``a, b``), and the submitted form turned back into the mapping
written to the file — keys the file had stay, new keys are written only when they differ from
the default. Validation is the loader's (``models.config_file``), not this module's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Mapping, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from web.runtime import PLUGINS

FIXED = ("name", "type")  # the name is the rule's identity (incidents, silences point at it)


def rule_models() -> dict[str, type[BaseModel]]:
    """``{type: config model}`` of every built-in rule type (the registry's)."""
    return {name: cls.config_model for name, cls in PLUGINS.rules.items()}


@dataclass
class FormField:
    key: str
    kind: str               # bool | list | choice | text
    value: Any              # bool for bool, else the text shown
    choices: tuple = ()     # for choice ("" = none when optional)
    default: str = ""
    description: str = ""


def duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(annotation: Any) -> tuple[str, tuple]:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if annotation is bool:
        return "bool", ()
    if get_origin(annotation) is list:
        return "list", ()
    if get_origin(annotation) is Literal:
        return "choice", get_args(annotation)
    if get_origin(annotation) is Union and len(args) == 1:
        kind, choices = _kind(args[0])
        return kind, (("",) + choices if kind == "choice" else choices)
    return "text", ()


def _default(field) -> Any:
    return None if field.default is PydanticUndefined else field.default


def form_fields(model: type[BaseModel], values: Mapping[str, Any]) -> list[FormField]:
    """The inputs of ``model``'s fields, filled from ``values`` (as written in the file)."""
    fields = []
    for key, field in model.model_fields.items():
        if key in FIXED:
            continue
        kind, choices = _kind(field.annotation)
        default = _default(field)
        current = values.get(key, default)
        value = bool(current) if kind == "bool" else display(current)
        fields.append(FormField(key, kind, value, choices, display(default),
                                (model.__doc__ or "").strip() if key == "window" else ""))
    return fields


def _scalar(text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (int, float, str)) and not isinstance(value, bool) \
        else text


def from_form(model: type[BaseModel], name: str, rule_type: str, form: Mapping[str, str],
              original: Mapping[str, Any]) -> dict[str, Any]:
    """The rule mapping to write: ``name``, ``type``, then each field the file had or that
    now differs from its default, in the file's order first."""
    values: dict[str, Any] = {"name": name, "type": rule_type}
    for key, field in model.model_fields.items():
        if key in FIXED:
            continue
        kind, _ = _kind(field.annotation)
        default = _default(field)
        raw = (form.get(key) or "").strip()
        if kind == "bool":
            value: Any = key in form
            changed = value != bool(default)
        elif kind == "list":
            value = [part.strip() for part in raw.split(",") if part.strip()]
            changed = value != list(default or [])
        elif kind == "choice":
            value = raw or None
            changed = value != default
        else:
            if not raw:
                continue  # left empty: the default
            value = _scalar(raw)
            changed = raw != display(default)
        if key in original or changed:
            values[key] = value
    ordered = {k: values[k] for k in original if k in values}
    return {**ordered, **{k: v for k, v in values.items() if k not in ordered}}
