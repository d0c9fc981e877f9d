"""Plugin registries: the source, rule and channel types a deployment knows.

A plugin is a class (a spider, a ``Rule``, a ``Channel``) whose ``config_model`` attribute is
the pydantic model of its config entry; that model's ``type`` field is a ``Literal`` of the one
name written as ``type:`` in the config file. A ``Registry`` holds the built-in classes of one
kind under those names. ``resolve`` also accepts a dotted path ``pkg.module.Class``: the way
a deployment adds a type of its own without editing this code (ElastAlert2's ``get_module``).
The class is imported and must subclass the registry's ``base``, and its config model must
subclass ``config_base`` and declare that dotted path as its ``type``.

``Plugins`` holds the three registries; ``models.config.config_model(plugins)`` builds the
config schema from it, and the composition root (``web.runtime``) defines the system's.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Literal, Mapping, get_args, get_origin

from pydantic import BaseModel

from models.exceptions import PluginError


def type_name(config_model: type[BaseModel]) -> str:
    """The one name the ``type`` field of ``config_model`` accepts. Raises ``TypeError`` when
    that field is not a ``Literal`` of one string."""
    field = config_model.model_fields.get("type")
    names = get_args(field.annotation) if field is not None else ()
    if (field is None or get_origin(field.annotation) is not Literal or len(names) != 1
            or not isinstance(names[0], str)):
        raise TypeError(f"{config_model.__name__}.type must be a Literal of one type name")
    return names[0]


class Registry(Mapping[str, type]):
    """The ``kind`` types (``"rule"``...) by name: subclasses of ``base`` whose
    ``config_model`` subclasses ``config_base``. Iterates in the order the types were given,
    which is the order in which errors list them."""

    def __init__(self, kind: str, base: type, config_base: type[BaseModel],
                 types: Iterable[type]):
        """Raises ``TypeError`` when one of ``types`` is not a plugin of this kind, or two
        different classes claim the same name."""
        self.kind, self.base, self.config_base = kind, base, config_base
        self._types: dict[str, type] = {}
        for cls in types:
            problem = self._problem(cls)
            if problem:
                raise TypeError(f"{kind} type {cls!r}: {problem}")
            name = type_name(cls.config_model)
            if self._types.setdefault(name, cls) is not cls:
                raise TypeError(f"{kind} type {name!r} is claimed by both "
                                f"{_path(self._types[name])} and {_path(cls)}")

    def __getitem__(self, name: str) -> type:
        return self._types[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"<Registry {self.kind}: {', '.join(self._types)}>"

    def resolve(self, name: str) -> type:
        """The class of the built-in type ``name``, or the class a dotted path
        ``pkg.module.Class`` names (imported). Raises ``PluginError`` saying what was
        expected."""
        if name in self._types:
            return self._types[name]
        if "." not in name:
            raise PluginError(f"unknown {self.kind} type {name!r}; expected one of "
                              f"{', '.join(self._types)}, or a dotted path "
                              "pkg.module.Class")
        module_name, _, attribute = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # third-party code: whatever its import raises
            raise PluginError(f"{self.kind} type {name!r}: cannot import module "
                              f"{module_name!r} ({type(exc).__name__}: {exc})") from exc
        cls = getattr(module, attribute, None)
        if cls is None:
            raise PluginError(f"{self.kind} type {name!r}: module {module_name!r} has no "
                              f"{attribute!r}")
        problem = self._problem(cls)
        if problem is None and type_name(cls.config_model) != name:
            problem = (f"its config model {cls.config_model.__name__} declares type "
                       f"{type_name(cls.config_model)!r}; expected Literal[{name!r}]")
        if problem:
            raise PluginError(f"{self.kind} type {name!r}: {problem}")
        return cls

    def extended(self, types: Iterable[type]) -> Registry:
        """This registry plus ``types`` (classes ``resolve`` returned)."""
        return Registry(self.kind, self.base, self.config_base, [*self.values(), *types])

    def config_models(self) -> tuple[type[BaseModel], ...]:
        return tuple(cls.config_model for cls in self.values())

    def _problem(self, cls: Any) -> str | None:
        """What keeps ``cls`` from being a type of this registry; None when nothing does."""
        if not isinstance(cls, type) or not issubclass(cls, self.base):
            return f"expected a subclass of {_path(self.base)}, got {cls!r}"
        model = getattr(cls, "config_model", None)
        if not isinstance(model, type) or not issubclass(model, self.config_base):
            return (f"{cls.__name__}.config_model must be a subclass of "
                    f"{_path(self.config_base)}")
        try:
            type_name(model)
        except TypeError as exc:
            return str(exc)
        return None


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True, eq=False)
class Plugins:
    """The source, rule and channel types of one system."""
    sources: Registry
    rules: Registry
    channels: Registry

    def sections(self) -> dict[str, Registry]:
        """Each registry under the config section whose entries it types."""
        return {"sources": self.sources, "rules": self.rules, "channels": self.channels}

    def extended(self, types: Mapping[str, Iterable[type]]) -> Plugins:
        """These plugins plus ``types`` (config section → classes ``resolve`` returned)."""
        return Plugins(**{section: registry.extended(types.get(section, ()))
                          for section, registry in self.sections().items()})
