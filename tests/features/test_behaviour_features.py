"""Capability coverage and model-release pivots, on a small requests table checked by hand."""

from __future__ import annotations

import math

import pytest

from distillshield.features import AccountFrame, compute_features
from distillshield.settings import Settings
from tests.builders import request_row, requests_db

MATH = "Solve for x: 3x + 4 = 19. How many apples are left?"
CODE = "Implement def add(a, b) in python so that it adds two numbers."
CHAT = "What is a good name for a cat?"
DAY = 24 * 60


def _rows() -> list[tuple[object, ...]]:
    rows = [request_row(f"m{k}", "mathonly", k, "10.0.0.1", MATH) for k in range(4)]
    rows += [request_row(f"x{k}", "mixed", k, "10.0.0.2", MATH if k % 2 else CODE) for k in range(4)]
    rows += [request_row(f"t{k}", "agent", k, "10.0.0.3", CHAT, tool_calls=2) for k in range(2)]
    # atlas-3 is in use from the start; atlas-4 first appears two days in, sent by "early".
    rows += [request_row(f"e{k}", "early", 2 * DAY + 60 * k, "10.0.0.4", CHAT, model="atlas-4") for k in range(3)]
    # "pivot" works on atlas-3, then moves to atlas-4 three hours after its first appearance.
    rows += [request_row(f"p{k}", "pivot", DAY + 60 * k, "10.0.0.5", CHAT) for k in range(4)]
    rows += [request_row(f"q{k}", "pivot", 2 * DAY + 180 + 60 * k, "10.0.0.5", CHAT, model="atlas-4") for k in range(2)]
    rows += [request_row("q2", "pivot", 2 * DAY + 240 + 30, "10.0.0.5", CHAT)]
    return rows


@pytest.fixture(scope="module")
def frame() -> AccountFrame:
    return compute_features(requests_db(_rows()), [], Settings())


def _value(frame: AccountFrame, account: str, column: str) -> float:
    return float(frame[column][frame.account_ids.index(account)])


def test_one_capability_is_concentrated(frame: AccountFrame) -> None:
    assert _value(frame, "mathonly", "cap_math_share") == 1.0
    assert _value(frame, "mathonly", "cap_code_share") == 0.0
    assert _value(frame, "mathonly", "capability_breadth") == 1
    assert _value(frame, "mathonly", "capability_top_share") == 1.0
    assert _value(frame, "mathonly", "capability_entropy") == pytest.approx(0.0)


def test_two_capabilities_evenly_have_the_entropy_of_two_of_six(frame: AccountFrame) -> None:
    assert _value(frame, "mixed", "cap_math_share") == 0.5
    assert _value(frame, "mixed", "cap_code_share") == 0.5
    assert _value(frame, "mixed", "capability_breadth") == 2
    assert _value(frame, "mixed", "capability_entropy") == pytest.approx(math.log(2) / math.log(6))


def test_a_tool_call_is_tool_use(frame: AccountFrame) -> None:
    assert _value(frame, "agent", "cap_tools_share") == 1.0
    assert _value(frame, "mathonly", "cap_tools_share") == 0.0


def test_model_release_lag_and_shares(frame: AccountFrame) -> None:
    assert _value(frame, "pivot", "new_model_lag_hours") == pytest.approx(3.0)
    # In the 24 hours after atlas-4 appeared, "pivot" sent 2 of its 3 requests to it; 2 of 7 in all.
    assert _value(frame, "pivot", "new_model_day_share") == pytest.approx(2 / 3)
    assert _value(frame, "pivot", "new_model_share") == pytest.approx(2 / 7)
    assert _value(frame, "early", "new_model_lag_hours") == pytest.approx(0.0)
    assert _value(frame, "early", "new_model_share") == 1.0


def test_a_model_in_use_from_the_start_is_not_new(frame: AccountFrame) -> None:
    assert math.isnan(_value(frame, "mathonly", "new_model_lag_hours"))
    assert _value(frame, "mathonly", "new_model_share") == 0.0
    assert _value(frame, "mathonly", "new_model_day_share") == 0.0
