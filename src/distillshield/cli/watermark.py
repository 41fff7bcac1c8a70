"""``distillshield watermark``: make and rotate watermark keys, and test a text against them."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import ConfigError, InputError, Location
from distillshield.provenance import load_plan
from distillshield.respond.watermark import SCHEMES, new_key, read_keyfile, write_keyfile
from distillshield.respond.watermark.keys import FORMAT, file_sha256

app = typer.Typer(
    name="watermark",
    help="Make and rotate watermark keys; test a text.\n\nExample: distillshield watermark keygen key.json "
    "--tokenizer tokenizer.json",
    no_args_is_help=True,
)


@app.command("keygen")
@reports_errors
def keygen(
    keyfile: Annotated[Path, typer.Argument(help="Key file to create, or to add a key to with --rotate.")],
    tokenizer: Annotated[
        Path | None, typer.Option("--tokenizer", help="tokenizer.json the key is for (required for a new file).")
    ] = None,
    scheme: Annotated[str, typer.Option("--scheme", help=f"One of {', '.join(sorted(SCHEMES))}.")] = "greenlist",
    key_id: Annotated[str | None, typer.Option("--id", help="Key id (default: the active-from date).")] = None,
    active_from: Annotated[
        str | None, typer.Option("--active-from", help="First day the key embeds (YYYY-MM-DD, default today).")
    ] = None,
    rotate: Annotated[bool, typer.Option("--rotate", help="Add a new key to an existing file.")] = False,
    quiet: Quiet = False,
) -> None:
    """Create a key file with one fresh random key, or add one to it (--rotate); mode 0600.

    Example: distillshield watermark keygen wm-key.json --tokenizer tokenizer.json --scheme greenlist
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"--scheme must be one of {sorted(SCHEMES)}, not {scheme!r}")
    try:
        day = date.fromisoformat(active_from) if active_from else date.today()
    except ValueError as exc:
        raise ConfigError(f"--active-from must be YYYY-MM-DD, not {active_from!r}") from exc
    if rotate:
        raw = read_keyfile(keyfile)
    elif keyfile.exists():
        raise InputError("exists; use --rotate to add a key to it", Location(keyfile))
    else:
        raw = _new_file(keyfile, tokenizer)
    ids = {k.get("id") for k in raw.get("keys", [])}
    chosen = key_id or day.isoformat()
    if chosen in ids:
        raise ConfigError(f"key id {chosen!r} is already in {keyfile}")
    raw.setdefault("keys", []).append(new_key(scheme, key_id=chosen, active_from=day).to_dict())
    write_keyfile(keyfile, raw)
    load_plan(keyfile)  # fail now, not at audit time, if the file is unusable
    out.print(chosen)
    if not quiet:
        err.print(f"{escape(str(keyfile))}: {len(raw['keys'])} key(s); keep it secret (mode 0600)")


def _new_file(keyfile: Path, tokenizer: Path | None) -> dict[str, object]:
    if tokenizer is None:
        raise ConfigError("--tokenizer is required for a new key file")
    from distillshield.respond.watermark.base import require_torch

    require_torch()
    from tokenizers import Tokenizer

    try:
        vocab_size = Tokenizer.from_file(str(tokenizer)).get_vocab_size()
    except Exception as exc:  # tokenizers raises a bare Exception for unreadable files
        raise InputError(f"not a tokenizer.json: {exc}", Location(tokenizer)) from exc
    relative = Path(tokenizer).resolve()
    # A tokenizer beside the key file is recorded relative to it, so the pair can be moved together.
    with contextlib.suppress(ValueError):
        relative = relative.relative_to(keyfile.resolve().parent)
    return {
        "format": FORMAT,
        "vocab_size": vocab_size,
        "tokenizer": str(relative),
        "tokenizer_sha256": file_sha256(tokenizer),
    }


@app.command("detect")
@reports_errors
def detect(
    keyfile: Annotated[Path, typer.Argument(help="Key file.")],
    text: Annotated[Path, typer.Argument(help="Text file to test (the generated text only, without the prompt).")],
    quiet: Quiet = False,
) -> None:
    """Test one text against every key of a key file; prints the key-count-corrected p-value.

    Example: distillshield watermark detect wm-key.json reply.txt
    """
    plan = load_plan(keyfile)
    try:
        content = text.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Location(text)) from exc
    result = plan.keyring.detect(plan.tokenize(content))
    out.print(f"p = {result.p_value:.3g}")
    if not quiet:
        for d in result.per_key:
            note = "" if d.long_enough else f" (too short: under {d.min_tokens} scored tokens, never flagged)"
            err.print(f"  key {escape(d.key_id)} ({d.scheme}): {d.tokens_scored} scored, p = {d.p_value:.3g}{note}")
