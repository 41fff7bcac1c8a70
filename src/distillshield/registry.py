"""Plugins: built-ins and third-party ones register the same way.

A plugin id is its import path inside the package, ``stage.module.Class``
(``features.content.learned.ReasoningElicitation``). Built-ins are listed in one
explicit tuple per kind; third parties add entry points in the group
``distillshield.<kind>`` whose value is ``module:Class``. Nothing is discovered by
scanning namespaces, and a plugin that fails to load is an error, never skipped.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from distillshield.errors import PluginError

#: Kinds of plugin, each with its built-ins in the order they run.
BUILTIN_PLUGINS: dict[str, tuple[str, ...]] = {
    "content": (
        "features.content.learned.ReasoningElicitation",
        "features.content.learned.JailbreakWrapper",
        "features.content.learned.GradingPrompt",
        "features.content.learned.AgenticScaffold",
        "features.content.learned.GenerationPrompt",
    ),
    "scorers": (
        "detect.scorers.content.ReasoningHarvest",
        "detect.scorers.content.JailbreakHarvest",
        "detect.scorers.content.GraderHarvest",
        "detect.scorers.content.ToolHarvest",
        "detect.scorers.content.InstructionHarvest",
        "detect.scorers.behaviour.HighVolume",
        "detect.scorers.behaviour.RoundTheClock",
        "detect.scorers.behaviour.FreshAccountAtFullSpeed",
        "detect.scorers.behaviour.IpRotation",
    ),
    "linkers": (
        "detect.link.linkers.SharedPayment",
        "detect.link.linkers.SharedNetwork",
        "detect.link.linkers.SharedTemplate",
        "detect.link.linkers.CreationBurst",
        "detect.link.linkers.SharedAsn",
        "detect.link.linkers.SharedUserAgent",
    ),
}


def import_plugin(plugin_id: str) -> type[Any]:
    """Import ``stage.module.Class`` from inside the package."""
    module_path, _, class_name = plugin_id.rpartition(".")
    if not module_path:
        raise PluginError(f"plugin id {plugin_id!r} is not of the form stage.module.Class")
    try:
        module = importlib.import_module(f"distillshield.{module_path}")
        cls = getattr(module, class_name)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"cannot load plugin {plugin_id!r}: {exc}") from exc
    if not isinstance(cls, type):
        raise PluginError(f"plugin {plugin_id!r} is not a class")
    return cls


def _entry_point_plugins(kind: str) -> list[tuple[str, type[Any]]]:
    found = []
    for ep in entry_points(group=f"distillshield.{kind}"):
        try:
            cls = ep.load()
        except Exception as exc:  # any import failure of third-party code becomes a PluginError
            raise PluginError(f"entry point {ep.name!r} in distillshield.{kind} failed to load: {exc}") from exc
        found.append((ep.name, cls))
    return found


@dataclass(frozen=True, slots=True)
class Registry:
    """The plugin classes of every kind, loaded once by :func:`build_registry`."""

    plugins: dict[str, tuple[tuple[str, type[Any]], ...]]

    def classes(self, kind: str) -> tuple[tuple[str, type[Any]], ...]:
        if kind not in self.plugins:
            raise PluginError(f"unknown plugin kind {kind!r}; known: {', '.join(sorted(self.plugins))}")
        return self.plugins[kind]

    def instances(self, kind: str) -> list[Any]:
        return [cls() for _, cls in self.classes(kind)]


def build_registry(*, include_entry_points: bool = True) -> Registry:
    """Load every built-in plugin and, unless told not to, every installed third-party one."""
    plugins: dict[str, tuple[tuple[str, type[Any]], ...]] = {}
    for kind, ids in BUILTIN_PLUGINS.items():
        loaded = [(plugin_id, import_plugin(plugin_id)) for plugin_id in ids]
        if include_entry_points:
            loaded += _entry_point_plugins(kind)
        plugins[kind] = tuple(loaded)
    return Registry(plugins)
