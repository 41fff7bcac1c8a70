"""The token-protected admin API, and the serve and admin commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.respond.identity import hash_key
from distillshield.server.app import GatewayConfig

from .helpers import RunningGateway, gateway_server, keyring, stub_server

TOKEN = "admin-secret"
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def gw() -> Iterator[RunningGateway]:
    with stub_server() as (stub_url, _):
        config = GatewayConfig(upstream_url=stub_url, keys=keyring({"alice": {}, "bob": {}}), admin_token=TOKEN)
        with gateway_server(config) as running:
            yield running


def admin(gw: RunningGateway, method: str, path: str, token: str | None = TOKEN, **kw: object) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{gw.url}/admin{path}", headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_admin_needs_the_token(gw: RunningGateway, token: str | None) -> None:
    answer = admin(gw, "GET", "/accounts", token)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_admin_token"


def test_override_blocks_and_clears(gw: RunningGateway) -> None:
    bob = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="sk-bob", max_retries=0)
    bob.chat.completions.create(model="m", messages=HELLO)
    answer = admin(gw, "PUT", "/accounts/bob/override", json={"action": "block", "reason": "chargeback ring"})
    assert answer.status_code == 200
    with pytest.raises(openai.PermissionDeniedError):
        bob.chat.completions.create(model="m", messages=HELLO)
    listed = {row["account_id"]: row for row in admin(gw, "GET", "/accounts").json()["accounts"]}
    assert listed["bob"]["override"] == {"reason": "chargeback ring", "action": "block", "tier": None}
    assert admin(gw, "DELETE", "/accounts/bob/override").status_code == 200
    bob.chat.completions.create(model="m", messages=HELLO)


@pytest.mark.parametrize(
    "body", [b"{}", b'{"reason": "x"}', b'{"reason": "x", "action": "nuke"}', b'{"reason": "x", "tier": "gold"}', b"["]
)
def test_bad_overrides_are_400(gw: RunningGateway, body: bytes) -> None:
    answer = admin(gw, "PUT", "/accounts/alice/override", content=body)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "override"


def test_admin_disabled_without_a_token(tmp_path: Path) -> None:
    config = GatewayConfig(upstream_url="http://127.0.0.1:9", keys=keyring({}))
    with gateway_server(config) as running:
        answer = httpx.get(f"{running.url}/admin/accounts", headers={"authorization": "Bearer x"}, timeout=5)
        assert answer.status_code == 404
        assert httpx.get(f"{running.url}/healthz", timeout=5).json() == {"status": "ok"}


def test_commands_have_help_with_an_example() -> None:
    runner = CliRunner()
    for args in (["serve", "--help"], ["admin", "hash-key", "--help"], ["admin", "override", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Example:" in result.output


def test_hash_key_prints_the_digest() -> None:
    result = CliRunner().invoke(app, ["admin", "hash-key", "sk-live-123"])
    assert result.exit_code == 0 and result.output.strip() == hash_key("sk-live-123")


def test_serve_reports_a_bad_keys_file_in_one_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("keys:\n  - sha256: not-a-digest\n    account_id: a\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--upstream", "http://127.0.0.1:9", "--keys", str(keys)])
    assert result.exit_code == 2
    output = "".join(result.output.split())  # rich wraps long lines, even inside the path
    assert f"{keys}:2field'keys[0].sha256'" in output and "64hexdigits" in output and "Traceback" not in output


def test_seed_reloads_a_scan_without_a_restart(gw: RunningGateway, small_scan: Any) -> None:
    answer = admin(gw, "POST", "/seed", json={"scan_dir": str(small_scan.result.out_dir)})
    assert answer.status_code == 200
    assert answer.json()["campaigns"] == len(small_scan.result.detection.campaigns) > 0
    member = small_scan.result.detection.campaigns[0].accounts[0]
    listed = {row["account_id"]: row for row in admin(gw, "GET", "/accounts").json()["accounts"]}
    assert listed[member]["campaign_id"] == small_scan.result.detection.campaigns[0].campaign_id
    missing = admin(gw, "POST", "/seed", json={"scan_dir": "/nonexistent"})
    assert missing.status_code == 400 and "is this a scan output directory" in missing.json()["error"]["message"]
