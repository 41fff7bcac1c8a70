"""Hostile ids and pages against the analyst console: formulas, slashes, cross-origin posts, stolen cookies."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from distillshield.console import ActionStore, ConsoleConfig, add_user, create_app, load_users, open_scan
from distillshield.console.app import COOKIE
from distillshield.pipeline import ScanResult
from distillshield.report import read_accounts_csv
from tests.security.conftest import HOSTILE_ACCOUNTS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def console(hostile_scan: ScanResult, tmp_path: Path) -> tuple[TestClient, str]:
    users = tmp_path / "users.yml"
    token = add_user(users, "alice")
    scan = open_scan(hostile_scan.out_dir / "scan.duckdb")
    app = create_app(ConsoleConfig(scan, load_users(users), ActionStore(tmp_path / "analyst.sqlite")))
    return TestClient(app, base_url="http://127.0.0.1:8765"), token


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _login(client: TestClient, token: str) -> str:
    answer = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303
    return str(client.cookies.get(COOKIE))


def test_accounts_csv_has_no_live_formula_and_reads_back(hostile_scan: ScanResult) -> None:
    text = (hostile_scan.out_dir / "accounts.csv").read_text()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert {r.account_id for r in read_accounts_csv(hostile_scan.out_dir / "accounts.csv")} == set(HOSTILE_ACCOUNTS)


def test_console_labels_csv_has_no_live_formula(console: tuple[TestClient, str]) -> None:
    client, token = console
    for account in HOSTILE_ACCOUNTS:
        path = f"/api/accounts/{quote(account, safe='')}/actions"
        assert client.post(path, json={"action": "confirm"}, headers=_bearer(token)).status_code == 201
    labels = client.get("/labels.csv", headers=_bearer(token)).text
    rows = list(csv.reader(io.StringIO(labels)))[1:]
    assert len(rows) == len(HOSTILE_ACCOUNTS)
    assert not [c for row in rows for c in row if c.startswith(FORMULA_STARTS)]


def test_console_api_refuses_a_campaign_id_not_in_the_scan(console: tuple[TestClient, str]) -> None:
    client, token = console
    path = f"/api/accounts/{quote('team/alpha', safe='')}/actions"
    answer = client.post(path, json={"action": "confirm", "campaign_id": "=HYPERLINK(1)"}, headers=_bearer(token))
    assert answer.status_code == 422


def test_account_with_a_slash_opens(console: tuple[TestClient, str]) -> None:
    client, token = console
    encoded = quote("team/alpha", safe="")
    assert client.get(f"/accounts/{encoded}", headers=_bearer(token)).status_code == 200
    assert client.get(f"/api/accounts/{encoded}", headers=_bearer(token)).json()["account_id"] == "team/alpha"


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://127.0.0.1:9999"}, {"sec-fetch-site": "same-site"}, {"sec-fetch-site": "cross-site"}],
)
def test_cross_origin_post_with_the_session_cookie_is_refused(
    console: tuple[TestClient, str], headers: dict[str, str]
) -> None:
    client, token = console
    _login(client, token)
    path = f"/accounts/{quote('team/alpha', safe='')}/actions"
    answer = client.post(path, data={"action": "dismiss"}, headers=headers, follow_redirects=False)
    assert answer.status_code == 403
    same = {"origin": "http://127.0.0.1:8765", "sec-fetch-site": "same-origin"}
    assert client.post(path, data={"action": "dismiss"}, headers=same, follow_redirects=False).status_code == 303


def test_session_cookie_is_not_the_token_and_logout_revokes_it(console: tuple[TestClient, str]) -> None:
    client, token = console
    session = _login(client, token)
    assert session and token not in session
    assert client.get("/").status_code == 200
    client.post("/logout", follow_redirects=False)
    stolen = TestClient(client.app, base_url="http://127.0.0.1:8765", cookies={COOKIE: session})
    assert stolen.get("/").status_code == 401
    assert TestClient(client.app, cookies={COOKIE: token}).get("/").status_code == 401


def test_cookie_is_secure_when_served_over_tls(console: tuple[TestClient, str]) -> None:
    client, token = console
    tls = TestClient(client.app, base_url="https://console.example")
    answer = tls.post("/login", data={"token": token}, follow_redirects=False)
    assert "secure" in answer.headers["set-cookie"].lower()
