"""``models.plugins.Registry`` and the config schema built from registries, on plugin classes
of this module: built-in names, dotted paths, and what each refusal says."""
from __future__ import annotations

from typing import Literal

import pytest

from models.config import ChannelBase, RuleBase, SourceBase, Strict, config_model
from models.exceptions import ConfigError, PluginError
from models.loader import parse_config
from models.plugins import Plugins, Registry, type_name


class Gadget:
    """The base of this module's plugin kind."""


class BellConfig(Strict):
    type: Literal["bell"]
    loud: bool = False


class Bell(Gadget):
    config_model = BellConfig


class WhistleConfig(Strict):
    type: Literal["tests.models.test_plugins.Whistle"]
    pitch: int = 440


class Whistle(Gadget):
    config_model = WhistleConfig


class Stray:
    config_model = WhistleConfig


class UntypedConfig(Strict):
    type: str


class Untyped(Gadget):
    config_model = UntypedConfig


def gadgets() -> Registry:
    return Registry("gadget", Gadget, Strict, [Bell])


def test_a_built_in_type_resolves_by_name_and_the_registry_is_a_mapping():
    registry = gadgets()
    assert registry.resolve("bell") is Bell
    assert dict(registry) == {"bell": Bell} and "bell" in registry
    assert registry.config_models() == (BellConfig,)
    assert type_name(BellConfig) == "bell"


def test_a_dotted_path_is_imported_and_checked():
    assert gadgets().resolve("tests.models.test_plugins.Whistle") is Whistle
    extended = gadgets().extended([Whistle])
    assert list(extended) == ["bell", "tests.models.test_plugins.Whistle"]


@pytest.mark.parametrize("name, message", [
    ("horn", "unknown gadget type 'horn'; expected one of bell, or a dotted path "
             "pkg.module.Class"),
    ("tests.models.test_plugins.Stray",
     "gadget type 'tests.models.test_plugins.Stray': expected a subclass of "
     "tests.models.test_plugins.Gadget, got <class 'tests.models.test_plugins.Stray'>"),
    ("tests.models.test_plugins.Untyped",
     "gadget type 'tests.models.test_plugins.Untyped': UntypedConfig.type must be a Literal "
     "of one type name"),
    ("tests.models.nowhere.Bell",
     "gadget type 'tests.models.nowhere.Bell': cannot import module 'tests.models.nowhere' "
     "(ModuleNotFoundError: No module named 'tests.models.nowhere')"),
])
def test_what_names_no_type_is_refused_with_the_expectation(name, message):
    with pytest.raises(PluginError) as info:
        gadgets().resolve(name)
    assert str(info.value) == message


def test_a_registry_refuses_a_class_of_another_kind_or_a_name_claimed_twice():
    with pytest.raises(TypeError, match="expected a subclass of tests.models.test_plugins.Gadget"):
        Registry("gadget", Gadget, Strict, [Stray])

    class OtherBell(Gadget):
        config_model = BellConfig

    with pytest.raises(TypeError, match="'bell' is claimed by both"):
        Registry("gadget", Gadget, Strict, [Bell, OtherBell])


class TinySourceConfig(SourceBase):
    type: Literal["tiny"]


class TinyRuleConfig(RuleBase):
    type: Literal["tiny"]


class TinyChannelConfig(ChannelBase):
    type: Literal["tiny"]


class TinySource(Gadget):
    config_model = TinySourceConfig


class TinyRule(Gadget):
    config_model = TinyRuleConfig


class TinyChannel(Gadget):
    config_model = TinyChannelConfig


TINY = Plugins(sources=Registry("source", Gadget, SourceBase, [TinySource]),
               rules=Registry("rule", Gadget, RuleBase, [TinyRule]),
               channels=Registry("channel", Gadget, ChannelBase, [TinyChannel]))


def test_the_schema_is_built_from_the_plugins_once():
    model = config_model(TINY)
    assert config_model(TINY) is model
    config = parse_config("sources: [{name: s, type: tiny}]\nrules: [{name: r, type: tiny}]\n"
                          "channels: [{name: c, type: tiny}]\n", TINY, "tiny.yaml")
    assert [type(item) for item in (*config.sources, *config.rules, *config.channels)] == [
        TinySourceConfig, TinyRuleConfig, TinyChannelConfig]


def test_a_type_of_another_system_is_unknown_here():
    with pytest.raises(ConfigError) as info:
        parse_config("rules: [{name: r, type: negative_spike}]\n", TINY, "tiny.yaml")
    assert str(info.value) == ("tiny.yaml: rules[0]: unknown type 'negative_spike'; expected "
                               "one of 'tiny', or a dotted path pkg.module.Class")
