"""The stored-id hash set that lets ingest skip the exact duplicate check for wholly new batches."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from distillshield.ingest.seen import SeenKeys

_KEYS = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=40)


def _array(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.uint64)


@settings(max_examples=200, deadline=None)
@given(st.lists(_KEYS, max_size=12), _KEYS)
def test_any_of_matches_a_python_set(batches: list[list[int]], probe: list[int]) -> None:
    seen, reference = SeenKeys(), set()
    for batch in batches:
        seen.add(_array(batch))
        reference.update(batch)
    expected = bool(reference.intersection(probe)) or len(set(probe)) < len(probe)
    assert seen.any_of(_array(probe)) is expected


def test_levels_stay_logarithmic_in_the_number_of_batches() -> None:
    seen = SeenKeys()
    rng = np.random.default_rng(3)
    for _ in range(1000):
        seen.add(rng.integers(0, 2**63, size=100, dtype=np.uint64))
    assert len(seen.levels) <= 11  # 1000 batches: a binary counter has at most 10 set bits, plus the newest
    assert all(bool(np.all(level[1:] >= level[:-1])) for level in seen.levels)
    assert seen.any_of(seen.levels[0][:1]) and not seen.any_of(np.array([2**63 + 1], dtype=np.uint64))
