from __future__ import annotations

import importlib.util
from typing import Any

import pytest

# These tests need the provenance extra (torch, transformers); without it they are not collected.
if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.provenance.bed import build_bed

    return build_bed(tmp_path_factory.mktemp("provenance-bed"))
