"""``distillshield keys``: create and show the Ed25519 key that signs evidence packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.evidence import default_key_path, generate_key, key_info

app = typer.Typer(
    name="keys",
    help="Create and show the key that signs evidence packages.\n\nExample: distillshield keys generate",
    no_args_is_help=True,
)

KeyPath = Annotated[
    Path | None,
    typer.Argument(help="Private key file (default: $XDG_CONFIG_HOME/distillshield/evidence.key); .pub beside it."),
]


@app.command("generate")
@reports_errors
def generate(
    path: KeyPath = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key pair.")] = False,
    quiet: Quiet = False,
) -> None:
    """Create a signing key pair: the private key (mode 0600) and PATH.pub to hand to verifiers.

    Prints the public key's fingerprint, which recipients compare out of band.

    Example: distillshield keys generate ~/.config/distillshield/evidence.key
    """
    info = generate_key(path or default_key_path(), overwrite=force)
    out.print(info.fingerprint)
    if not quiet:
        err.print(f"private key: {escape(str(info.private_path))} (mode 0600)")
        err.print(f"public key:  {escape(str(info.public_path))} (give this to whoever verifies your packages)")


@app.command("show")
@reports_errors
def show(path: KeyPath = None, quiet: Quiet = False) -> None:
    """Print the fingerprint of a key file (private or public) and where its halves are.

    Example: distillshield keys show partner-key.pub
    """
    info = key_info(path or default_key_path())
    out.print(info.fingerprint)
    if not quiet:
        if info.private_path:
            err.print(f"private key: {escape(str(info.private_path))}")
        if info.public_path:
            err.print(f"public key:  {escape(str(info.public_path))}")
