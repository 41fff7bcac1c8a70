"""Structural documentation tests: an undocumented setting, plugin or command fails the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillshield.registry import BUILTIN_PLUGINS
from distillshield.settings import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "settings.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("plugin_id", [p for ids in BUILTIN_PLUGINS.values() for p in ids])
def test_every_builtin_plugin_is_documented(plugin_id: str) -> None:
    class_name = plugin_id.rsplit(".", 1)[1]
    assert f"`{class_name}`" in (DOCS / "detection.md").read_text(encoding="utf-8")
