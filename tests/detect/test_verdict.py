"""Corroborated verdicts: a distiller needs strong evidence from two evidence families, and the trace says which."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillshield.detect.rules import load_rules
from distillshield.detect.verdict import corroborate, family_weights, strong_families
from distillshield.errors import InputError
from distillshield.pipeline import content_fields
from distillshield.records import FAMILIES, META_FAMILY, Signal, Verdict
from distillshield.registry import build_registry
from distillshield.settings import Settings

SETTINGS = Settings()


def _signal(weight: float, family: str, name: str = "s") -> Signal:
    return Signal("test", name, 1.0, weight, family=family)


def test_content_alone_is_capped_below_distiller_and_the_trace_says_why() -> None:
    risk, trace = corroborate([_signal(0.97, "content"), _signal(0.6, "content", "rule")], SETTINGS)
    assert SETTINGS.suspicious_threshold <= risk < SETTINGS.distiller_threshold
    notes = [s for s in trace if s.family == META_FAMILY]
    assert [n.name for n in notes] == ["uncorroborated"] and "content" in notes[0].detail
    verdict = Verdict("a", risk, "suspicious", None, tuple(trace))
    assert verdict.reasons().startswith("uncorroborated=content"), "the note comes first in the reasons"


def test_two_strong_families_make_a_distiller() -> None:
    signals = [_signal(0.9, "content"), _signal(0.35, "volume")]
    risk, trace = corroborate(signals, SETTINGS)
    assert risk >= SETTINGS.distiller_threshold and trace == signals
    assert strong_families(signals, SETTINGS) == ("content", "volume")


def test_a_weak_second_family_does_not_corroborate() -> None:
    risk, _ = corroborate([_signal(0.97, "content"), _signal(0.15, "volume")], SETTINGS)
    assert risk < SETTINGS.distiller_threshold


def test_weights_combine_inside_a_family_by_noisy_or() -> None:
    weights = family_weights([_signal(0.2, "volume"), _signal(0.15, "volume"), _signal(0.0, META_FAMILY)])
    assert weights == {"volume": pytest.approx(1 - 0.8 * 0.85)}
    risk, _ = corroborate([_signal(0.9, "content"), _signal(0.2, "volume"), _signal(0.15, "volume")], SETTINGS)
    assert risk >= SETTINGS.distiller_threshold, "two modest volume signals together are strong"


def test_the_number_of_families_needed_is_a_setting() -> None:
    one = Settings(corroboration_families=1)
    assert corroborate([_signal(0.97, "content")], one)[0] == pytest.approx(0.97)


def test_every_registered_scorer_names_a_family() -> None:
    for plugin_id, cls in build_registry(include_entry_points=False).classes("scorers"):
        assert getattr(cls, "family", None) in FAMILIES, plugin_id


def test_builtin_rules_name_their_family_and_user_rules_default_to_custom(tmp_path: Path) -> None:
    rules = load_rules(content_fields=content_fields(build_registry(include_entry_points=False)))
    assert {r.id: r.family for r in rules}["card-across-fresh-accounts"] == "infrastructure"
    assert all(r.family in FAMILIES and r.family != "custom" for r in rules), "every built-in rule names its family"
    rule = (
        "id: mine\ntitle: t\ntype: event_count\ngroup-by: account_id\ntimespan: 1h\ncondition: {gte: 5}\nweight: 0.3\n"
    )
    (tmp_path / "mine.yml").write_text(rule, encoding="utf-8")
    assert load_rules([tmp_path], builtin=False)[0].family == "custom"
    (tmp_path / "mine.yml").write_text(rule + "family: vibes\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_rules([tmp_path], builtin=False)
    assert "family" in str(error.value) and "mine.yml:8" in str(error.value)
