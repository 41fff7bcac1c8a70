"""Combining tests (Holm) and the explicit public API of the provenance and watermark modules."""

from __future__ import annotations

import importlib

import pytest

from distillshield.provenance import Finding, holm, skipped


def test_holm_adjusts_step_down_and_ignores_skipped_tests() -> None:
    findings = [
        Finding(test="a", status="ran", p_value=0.01),
        Finding(test="b", status="ran", p_value=0.04),
        Finding(test="c", status="ran", p_value=0.03),
        skipped("d", "no inputs"),
    ]
    assert holm(findings) == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})


@pytest.mark.parametrize("name", ["distillshield.respond.watermark", "distillshield.provenance"])
def test_public_api_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__)
    assert all(hasattr(module, n) for n in module.__all__)
