"""The layout's promises: stages import only earlier stages, and public APIs are explicit."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "distillshield"
#: The data flow, in order. A stage may import the root modules and earlier stages only.
STAGES = (
    "ingest",
    "features",
    "detect",
    "respond",
    "provenance",
    "intel",
    "report",
    "watch",
    "evidence",
    "evaluate",
    "simulate",
    "frontier",
    "learn",
)
ROOT_MODULES = {
    "errors",
    "records",
    "settings",
    "progress",
    "registry",
    "db",
    "engines",
    "yamlfile",
    "bodies",
    "csvcells",
    "private",
    "orgs",
}
#: Exceptions with a reason: the simulator checks its own records with ingest's validator; watch reuses
#: the batch job's output step (pipeline.write_outputs) so that its files equal scan's.
#: The frontier runs the real batch job (pipeline.run_scan) on each probe, and sends each probe through the
#: real gateway (online_replay) for the live path. learn gathers a scan's evidence again as the batch job did
#: (pipeline.content_fields, with_known_organisations). The transformer test bed holds out the same fifth of
#: ShareGPT conversations as the simulator (simulate.realtext.held_out), so neither trains on the other's test text.
ALLOWED = {
    ("simulate", "ingest"),
    ("watch", "pipeline"),
    ("frontier", "pipeline"),
    ("frontier", "online_replay"),
    ("learn", "pipeline"),
    ("provenance", "simulate"),
}
PUBLIC = ["distillshield", *(f"distillshield.{stage}" for stage in STAGES if (PACKAGE / stage).is_dir())]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("distillshield."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("distillshield.")}
    return found


@pytest.mark.parametrize("stage", [s for s in STAGES if (PACKAGE / s).is_dir()])
def test_stage_imports_only_earlier_stages(stage: str) -> None:
    earlier = set(STAGES[: STAGES.index(stage) + 1])
    for path in (PACKAGE / stage).rglob("*.py"):
        bad = {m for m in _imports(path) - earlier - ROOT_MODULES if (stage, m) not in ALLOWED}
        assert not bad, f"{path.relative_to(PACKAGE)} imports later stages or the shell: {sorted(bad)}"


@pytest.mark.parametrize("module_name", PUBLIC)
def test_public_api_is_explicit_sorted_and_complete(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert exported == sorted(exported), f"{module_name}.__all__ must be sorted"
    assert all(hasattr(module, name) for name in exported)
    public = {
        n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", "") == module_name
    }
    assert public <= set(exported), f"{module_name} defines public names missing from __all__: {public - set(exported)}"
