"""``distillshield admin``: helpers for running the gateway (key digests, accounts, overrides)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from distillshield.cli.common import err, out, reports_errors
from distillshield.errors import ConfigError
from distillshield.respond.identity import hash_key

app = typer.Typer(
    help="Gateway administration.\n\nExample: distillshield admin hash-key sk-live-...", no_args_is_help=True
)

Url = Annotated[str, typer.Option(help="Base URL of a running gateway.")]
TokenEnv = Annotated[str, typer.Option(help="Environment variable holding the admin token.")]


@app.command("hash-key")
@reports_errors
def hash_key_command(
    key: Annotated[str | None, typer.Argument(help="The API key; read from stdin when omitted.")] = None,
) -> None:
    """Print the SHA-256 digest of an API key, for the gateway's keys file (never store the key itself).

    Example: printf %s "$KEY" | distillshield admin hash-key
    """
    secret = key if key is not None else sys.stdin.read().strip()
    if not secret:
        raise ConfigError("no key given (pass it as an argument or on stdin)")
    out.print(hash_key(secret))


@app.command("accounts")
@reports_errors
def accounts_command(
    url: Url = "http://127.0.0.1:8080", token_env: TokenEnv = "DISTILLSHIELD_ADMIN_TOKEN", limit: int = 50
) -> None:
    """List the gateway's accounts, riskiest first.

    Example: DISTILLSHIELD_ADMIN_TOKEN=... distillshield admin accounts --url http://127.0.0.1:8080
    """
    data = _call("GET", f"{url.rstrip('/')}/admin/accounts?limit={limit}", token_env, None)
    table = Table("account", "risk", "campaign", "learned", "override")
    for row in data["accounts"]:
        override = row["override"]
        table.add_row(
            row["account_id"],
            f"{row['risk']:.2f}",
            row["campaign_id"] or "",
            str(row["requests_learned"]),
            "" if override is None else f"{override['action'] or ''} {override['tier'] or ''} ({override['reason']})",
        )
    out.print(table)


@app.command("override")
@reports_errors
def override_command(
    account: Annotated[str, typer.Argument(help="Account id.")],
    reason: Annotated[str, typer.Option(help="Why (logged with every decision it causes).")] = "",
    action: Annotated[str | None, typer.Option(help="Force an action: allow, shadow, throttle, block ...")] = None,
    tier: Annotated[str | None, typer.Option(help="Move the account to a tier.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove the account's override.")] = False,
    url: Url = "http://127.0.0.1:8080",
    token_env: TokenEnv = "DISTILLSHIELD_ADMIN_TOKEN",
) -> None:
    """Set or clear an administrator's override on an account.

    Example: distillshield admin override acct_42 --action block --reason "card reported stolen"
    """
    target = f"{url.rstrip('/')}/admin/accounts/{account}/override"
    if clear:
        _call("DELETE", target, token_env, None)
    else:
        _call("PUT", target, token_env, {"reason": reason, "action": action, "tier": tier})
    err.print(f"override {'cleared' if clear else 'set'} for {account}")


def _call(method: str, url: str, token_env: str, body: object) -> dict[str, Any]:
    """One admin API call with the standard library (the CLI need not load aiohttp)."""
    from urllib.error import HTTPError, URLError
    from urllib.request import Request, urlopen

    token = os.environ.get(token_env)
    if not token:
        raise ConfigError(f"set {token_env} to the gateway's admin token")
    data = None if body is None else orjson.dumps(body)
    request = Request(url, data=data, method=method, headers={"authorization": f"Bearer {token}"})
    try:
        with urlopen(request, timeout=10) as response:
            result = orjson.loads(response.read())
    except HTTPError as exc:
        raise ConfigError(f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}") from exc
    except URLError as exc:
        raise ConfigError(f"{method} {url}: {exc.reason}") from exc
    if not isinstance(result, dict):
        raise ConfigError(f"{method} {url}: unexpected answer")
    return result
