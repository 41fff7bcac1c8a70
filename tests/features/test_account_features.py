"""Feature SQL on a small requests table whose features are checked by hand."""

from __future__ import annotations

import math

import pytest

from distillshield.features import AccountFrame, compute_features
from distillshield.features.content.learned import AgenticScaffold, JailbreakWrapper, ReasoningElicitation
from distillshield.settings import Settings
from tests.builders import pool_and_casual_rows, requests_db


@pytest.fixture()
def frame() -> AccountFrame:
    con = requests_db(pool_and_casual_rows())
    detectors = [ReasoningElicitation(), JailbreakWrapper(), AgenticScaffold()]
    return compute_features(con, detectors, Settings(template_min_accounts=5, template_min_variants=3))


def _value(frame: AccountFrame, account: str, column: str) -> float:
    return float(frame[column][frame.account_ids.index(account)])


def test_volume_and_networks(frame: AccountFrame) -> None:
    assert _value(frame, "pool0", "n_requests") == 4
    assert _value(frame, "pool0", "n_networks") == 1  # 10.0.0.0/24 for all four
    assert _value(frame, "casual", "n_ips") == 2 and _value(frame, "casual", "n_networks") == 1


def test_hour_entropy_is_normalised_shannon_entropy(frame: AccountFrame) -> None:
    # pool0: four requests in four distinct hours -> ln(4) / ln(24)
    assert _value(frame, "pool0", "hour_entropy") == pytest.approx(math.log(4) / math.log(24))
    assert _value(frame, "casual", "hour_entropy") == pytest.approx(0.0)


def test_age_at_first_request(frame: AccountFrame) -> None:
    assert _value(frame, "pool3", "age_at_first_request_hours") == pytest.approx(2 + 3 / 60)


def test_shared_template_found_only_across_enough_accounts(frame: AccountFrame) -> None:
    assert _value(frame, "pool0", "max_template_accounts") == 6
    assert _value(frame, "pool0", "templated_share") == 1.0
    assert _value(frame, "casual", "max_template_accounts") == 0


def test_content_shares(frame: AccountFrame) -> None:
    assert _value(frame, "pool2", "elicitation_share") == 1.0
    assert _value(frame, "casual", "elicitation_share") == 0.0
    assert _value(frame, "casual", "jailbreak_share") == 0.0
