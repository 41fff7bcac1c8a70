"""``distillshield console``: the analyst web console over one scan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.markup import escape

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.console import (
    ActionStore,
    ConsoleConfig,
    add_user,
    create_app,
    default_actions_path,
    load_users,
    open_scan,
)
from distillshield.errors import ConfigError


@reports_errors
def command(
    db: Annotated[
        Path | None, typer.Option("--db", help="The scan's DuckDB file; its folder holds the scan outputs.")
    ] = None,
    users: Annotated[Path, typer.Option("--users", help="Users file: analyst name -> SHA-256 of their token.")] = Path(
        "console-users.yml"
    ),
    add: Annotated[
        str | None, typer.Option("--add-user", help="Create (or renew) this analyst's token, print it once, and exit.")
    ] = None,
    scan_dir: Annotated[
        Path | None, typer.Option("--scan-dir", help="Scan outputs (default: the database's folder).")
    ] = None,
    actions: Annotated[
        Path | None,
        typer.Option("--actions", help="SQLite file of analyst actions (default: SCAN_DIR/analyst.sqlite)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8600,
    quiet: Quiet = False,
) -> None:
    """Serve the analyst console: campaigns, accounts, evidence, and confirm/dismiss/note actions.

    Every page needs an analyst token; create one with --add-user. Decisions are
    exported as labels.csv at /labels.csv.

    Example: distillshield console --db scan-out/scan.duckdb --users team.yml

    Example (a token for alice): distillshield console --users team.yml --add-user alice
    """
    if add is not None:
        token = add_user(users, add)
        out.print(token, soft_wrap=True)
        if not quiet:
            err.print(f"token for {escape(add)} stored (hashed) in {escape(str(users))}; it is not shown again")
        return
    if db is None:
        raise ConfigError("--db is required to serve the console (or pass --add-user NAME to create a token)")
    scan = open_scan(db, scan_dir)
    store = ActionStore(actions or default_actions_path(scan.scan_dir))
    app = create_app(ConsoleConfig(scan, load_users(users), store))
    if not quiet:
        err.print(f"console for {escape(str(scan.scan_dir))} on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
