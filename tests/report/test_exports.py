"""The public API of the report and evaluate stages: a sorted, complete ``__all__``."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["distillshield.report", "distillshield.evaluate"])
def test_all_is_sorted_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == sorted(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)


def test_report_exports_the_contract_and_the_renderer() -> None:
    import distillshield.report as report

    names = {
        f"{verb}_{what}" for verb in ("read", "write") for what in ("accounts_csv", "campaigns_json", "timeline_csv")
    }
    assert names | {"read_run_json", "render_report"} <= set(report.__all__)
