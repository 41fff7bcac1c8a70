"""The console in-process: 401 everywhere without a token, pages, filters, actions and the labels export."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from distillshield.cli.main import app as cli
from distillshield.console import add_user, load_users
from distillshield.errors import InputError
from distillshield.evaluate.labels import read_labels_csv
from tests.console.conftest import Console

runner = CliRunner()


def _client(console: Console, token: str | None = None) -> TestClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(console.app, headers=headers, follow_redirects=False)


def _paths(console: Console) -> list[tuple[str, str]]:
    """Every route with its path parameters filled by ids that exist, plus one unknown path."""
    fill = {"campaign_id": console.campaign, "account_id": console.members[0]}
    found = []
    for route in console.app.routes:
        if isinstance(route, APIRoute):
            path = re.sub(r"\{(\w+)(?::path)?\}", lambda m: fill[m.group(1)], route.path)
            found += [(method, path) for method in sorted(route.methods)]
    return [*found, ("GET", "/no/such/page"), ("GET", "/api/no-such-endpoint")]


def test_every_route_needs_a_token(console: Console) -> None:
    routes = _paths(console)
    assert len(routes) >= 14
    anonymous, forged = _client(console), _client(console, "not-a-real-token")
    for method, path in routes:
        for client in (anonymous, forged):
            response = client.request(method, path, data={"action": "confirm", "token": "x"})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert console.members[-1] not in response.text  # no scan data, beyond the path asked for
    assert console.store.history() == []  # no anonymous action got through


def test_pages_answer_with_a_token(console: Console) -> None:
    client = _client(console, console.token)
    for method, path in _paths(console):
        if method == "GET" and "no" not in path:
            assert client.get(path).status_code in (200, 303), path


def test_login_sets_a_strict_httponly_cookie(console: Console) -> None:
    client = _client(console)
    page = client.get("/")
    assert page.status_code == 401 and 'name="token"' in page.text
    wrong = client.post("/login", data={"token": "guess", "next": "/"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    right = client.post("/login", data={"token": console.token, "next": f"/campaigns/{console.campaign}"})
    assert right.status_code == 303 and right.headers["location"] == f"/campaigns/{console.campaign}"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get(f"/campaigns/{console.campaign}").status_code == 200  # the cookie now carries the token
    offsite = client.post("/login", data={"token": console.token, "next": "//evil.example/"})
    assert offsite.headers["location"] == "/"


def test_campaign_list_filters(console: Console) -> None:
    client = _client(console, console.token)
    everything = client.get("/").text
    assert everything.count('class="campaign-link"') >= 2
    only_big = client.get("/", params={"min_accounts": len(console.members)}).text
    assert console.campaign in only_big and only_big.count('class="campaign-link"') < everything.count(
        'class="campaign-link"'
    )
    by_account = client.get("/", params={"q": console.members[0]}).text
    assert by_account.count('class="campaign-link"') == 1 and console.campaign in by_account
    assert "No campaign matches" in client.get("/", params={"min_risk": 1.01}).text


def test_campaign_page_shows_graph_timeline_accounts_evidence_prompts(console: Console) -> None:
    page = _client(console, console.token).get(f"/campaigns/{console.campaign}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="link-graph"' in page and 'class="edge' in page
    assert 'class="cohort-timeline"' in page and "<rect" in page
    for account in console.members:
        assert f'data-account="{account}"' in page
    assert 'id="observations"' in page and 'id="inferences"' in page
    assert "<strong>members_" in page, "members' own evidence, by family, is listed"
    prompts = page[page.index('id="prompts"') :]
    assert prompts.count('<pre class="prompt">') >= 1


def test_account_page(console: Console) -> None:
    page = _client(console, console.token).get(f"/accounts/{console.members[0]}").text
    assert console.members[0] in page and 'id="features"' in page and "n_requests" in page
    assert page.count('<pre class="prompt">') >= 1
    assert _client(console, console.token).get("/accounts/nobody").status_code == 404


def test_dismiss_confirm_and_note_become_labels(console: Console, tmp_path: Path) -> None:
    client = _client(console, console.token)
    first, second = console.members[0], console.members[1]
    back = f"/campaigns/{console.campaign}"
    done = client.post(f"/accounts/{first}/actions", data={"action": "dismiss", "back": back})
    assert done.status_code == 303 and done.headers["location"] == back
    client.post(f"/accounts/{second}/actions", data={"action": "note", "note": "shares a card with C0002"})
    assert client.post(f"/accounts/{second}/actions", data={"action": "note"}).status_code == 422
    assert client.post(f"/accounts/{second}/actions", data={"action": "ban"}).status_code == 422
    history = console.store.history(second)
    assert [(a.analyst, a.action, a.note) for a in history] == [("alice", "note", "shares a card with C0002")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", history[0].at)
    labels = tmp_path / "labels.csv"
    labels.write_text(client.get("/labels.csv").text, encoding="utf-8")
    (row,) = read_labels_csv(labels)
    assert (row.account_id, row.label, row.campaign_id) == (first, "benign", None)
    assert row.archetype == "analyst-dismiss:alice"
    client.post(f"/campaigns/{console.campaign}/actions", data={"action": "confirm", "note": "same card"})
    labels.write_text(client.get("/api/labels").text, encoding="utf-8")
    rows = {r.account_id: r for r in read_labels_csv(labels)}
    assert set(rows) == set(console.members)
    assert all(r.label == "distiller" and r.campaign_id == console.campaign for r in rows.values())
    assert "confirmed" in client.get(f"/campaigns/{console.campaign}").text


def test_json_api(console: Console) -> None:
    client = _client(console, console.token)
    campaigns = client.get("/api/campaigns").json()
    assert [c["risk"] for c in campaigns] == sorted((c["risk"] for c in campaigns), reverse=True)
    detail = client.get(f"/api/campaigns/{console.campaign}").json()
    assert detail["links"] and {"a", "b", "kind", "shared"} <= set(detail["links"][0])
    posted = client.post(f"/api/accounts/{console.members[0]}/actions", json={"action": "confirm"})
    assert posted.status_code == 201 and posted.json()["label"] == "distiller" and posted.json()["analyst"] == "alice"
    account = client.get(f"/api/accounts/{console.members[0]}").json()
    assert account["actions"][0]["action"] == "confirm" and account["features"]["account_id"] == console.members[0]


def test_users_file(tmp_path: Path) -> None:
    path = tmp_path / "users.yml"
    token = add_user(path, "carol")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and token not in path.read_text(encoding="utf-8")
    users = load_users(path)
    assert users.authenticate(token) == "carol" and users.authenticate(token + "x") is None
    path.write_text("users:\n  carol: abc\n", encoding="utf-8")
    with pytest.raises(InputError, match="SHA-256") as caught:
        load_users(path)
    assert (caught.value.location.line, caught.value.location.field) == (2, "users.carol")


def test_cli_add_user_and_missing_db(tmp_path: Path) -> None:
    users = tmp_path / "team.yml"
    made = runner.invoke(cli, ["console", "--users", str(users), "--add-user", "dave", "--quiet"])
    assert made.exit_code == 0 and load_users(users).authenticate(made.stdout.strip()) == "dave"
    served = runner.invoke(cli, ["console", "--users", str(users)])
    assert served.exit_code == 2 and "--db is required" in served.stderr
