"""The known-organisations file: loading it strictly, and what scan does with it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from distillshield.detect.engine import ExternalEvidence, detect
from distillshield.errors import InputError
from distillshield.features import compute_features
from distillshield.orgs import AccountFacts, load_known_organisations
from distillshield.pipeline import account_facts, with_known_organisations
from distillshield.records import Verdict
from distillshield.registry import build_registry
from distillshield.settings import Settings
from tests.builders import BLOCK, T0, TOPICS, request_row, requests_db

REGISTRY = build_registry(include_entry_points=False)

YAML = """\
organisations:
  - name: Example lab
    tier: verified
    cards: [card-lab]
    networks: [192.0.2.0/24]
  - name: Acme
    accounts: [acme-1]
    domains: [Acme.example]
confirmed_benign:
  - account: vendor
    risk: 0.99
    note: eval vendor under contract
"""


def test_yaml_is_loaded_and_matched_by_account_card_domain_and_network(tmp_path: Path) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(YAML, encoding="utf-8")
    known = load_known_organisations(path)
    lab = known.organisation_of("x", AccountFacts(cards=frozenset({"card-lab"})))
    assert lab is not None and lab.name == "Example lab" and lab.protected
    by_net = known.organisation_of("y", AccountFacts(ips=frozenset({"192.0.2.77", "not-an-ip"})))
    assert by_net is lab
    acme = known.organisation_of("acme-1")
    assert acme is not None and acme.name == "Acme"
    assert known.organisation_of("z", AccountFacts(domains=frozenset({"acme.example"}))) is acme
    assert known.organisation_of("stranger", AccountFacts(ips=frozenset({"198.51.100.1"}))) is None
    assert known.confirmed["vendor"].risk == 0.99


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("organisations:\n  - name: x\n    tier: gold\n", "orgs.yaml:3"),
        ("organisations:\n  - name: x\n    networks: [300.1.2.0/24]\n", "orgs.yaml:3"),
        ("organisations:\n  - name: x\n    colour: red\n", "orgs.yaml:3"),
        ("confirmed_benign:\n  - account: a\n    risk: 2\n", "orgs.yaml:3"),
    ],
)
def test_yaml_mistakes_name_the_file_line_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_known_organisations(path)
    assert where in str(error.value)


def test_csv_form_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(
        "kind,value,organisation,tier\ncard,card-lab,Example lab,verified\nconfirmed,vendor,contract 7,0.9\n",
        encoding="utf-8",
    )
    known = load_known_organisations(path)
    assert known.organisations[0].cards == frozenset({"card-lab"}) and known.organisations[0].tier == "verified"
    assert known.confirmed["vendor"].risk == 0.9
    path.write_text("kind,value,organisation,tier\nphone,123,x,\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_known_organisations(path)
    assert "orgs.csv:2" in str(error.value) and "kind" in str(error.value)


def _lab_rows() -> list[tuple[object, ...]]:
    """Four young lab accounts on one card, each asking for hidden reasoning in bulk: a campaign by the log."""
    return [
        request_row(
            f"lab{a}-{k}",
            f"lab{a}",
            11 * k + a,
            f"192.0.2.{a}",
            f"{BLOCK} {TOPICS[(a + k) % len(TOPICS)]} ({k})",
            payment_fingerprint="card-lab",
            account_created_at=T0 - timedelta(hours=1),
        )
        for a in range(4)
        for k in range(40)
    ]


def _scan(rows: list[tuple[object, ...]], yaml_text: str | None, tmp_path: Path) -> dict[str, Verdict]:
    con = requests_db(rows)
    settings = Settings()
    frame = compute_features(con, REGISTRY.instances("content"), settings)
    external = None
    if yaml_text is not None:
        path = tmp_path / "orgs.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        known = load_known_organisations(path)
        external = with_known_organisations(ExternalEvidence(), known, account_facts(con, known))
    result = detect(
        con, frame, REGISTRY.instances("scorers"), REGISTRY.instances("linkers"), settings, external=external
    )
    return {v.account_id: v for v in result.verdicts}


def test_a_known_organisation_is_not_linked_into_a_campaign(tmp_path: Path) -> None:
    before = _scan(_lab_rows(), None, tmp_path)
    assert all(before[f"lab{a}"].campaign_id is not None for a in range(4)), "the shared card links them"
    after = _scan(_lab_rows(), YAML, tmp_path)
    for a in range(4):
        verdict = after[f"lab{a}"]
        assert verdict.campaign_id is None
        assert verdict.verdict != "distiller"
        assert "known_organisation=Example lab" in verdict.reasons()


def test_a_confirmed_account_stays_benign_until_its_own_risk_rises(tmp_path: Path) -> None:
    rows = _lab_rows()
    before = _scan(rows, None, tmp_path)
    own = before["lab0"]
    assert own.verdict == "distiller"
    confirmed = f"confirmed_benign:\n  - account: lab0\n    risk: {min(1.0, own.risk + 0.001):.4f}\n"
    kept = _scan(rows, confirmed, tmp_path)["lab0"]
    assert kept.verdict == "benign" and "confirmed_benign" in kept.reasons()
    lapsed = _scan(rows, "confirmed_benign:\n  - account: lab0\n    risk: 0.1\n", tmp_path)["lab0"]
    assert lapsed.verdict != "benign" and "confirmed_benign_lapsed" in lapsed.reasons()
