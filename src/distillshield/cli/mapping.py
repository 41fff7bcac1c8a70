"""``distillshield mapping``: check a field mapping on a log; and the ``--mapping`` option other commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from distillshield.cli.common import out, reports_errors
from distillshield.ingest.mapping import BUILTINS, FieldMapping, Mapper, resolve_mapping
from distillshield.ingest.mapping.check import check_mapping

MappingOption = Annotated[
    str | None,
    typer.Option(
        "--mapping",
        help=f"Map the logs onto the spec with this mapping file, or a built-in one ({', '.join(BUILTINS)}).",
    ),
]

app = typer.Typer(help="Field mappings: any log schema onto the traffic-log spec.", no_args_is_help=True)


def mapping_from(text: str | None) -> FieldMapping | None:
    """The ``--mapping`` value loaded (errors name the file, line and key), or None."""
    return None if text is None else resolve_mapping(text)


@app.command("check")
@reports_errors
def check(
    mapping: Annotated[str, typer.Argument(help=f"A mapping file, or a built-in: {', '.join(BUILTINS)}.")],
    log: Annotated[Path, typer.Argument(help="A log to try it on (JSON Lines, .gz, CSV or Parquet).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many source records to preview.")] = 5,
) -> None:
    """Preview the first records of LOG mapped onto the spec, and list the source fields no rule reads.

    Each mapped record is printed as spec JSON, or with the reason it would be quarantined (the mapping rule
    that failed, or the spec field it breaks).

    Example: distillshield mapping check my-gateway.yaml gateway-2026-05-04.jsonl.gz -n 3
    """
    result = check_mapping(Mapper(resolve_mapping(mapping)), log, limit)
    for preview in result.previews:
        for mapped in preview.mapped:
            if isinstance(mapped, str):
                out.print(f"line {preview.line}: [red]quarantined[/]: {mapped}", markup=True)
            else:
                text = orjson.dumps(mapped, option=orjson.OPT_INDENT_2, default=str).decode()
                out.print(f"line {preview.line}:\n{text}", markup=False, highlight=False)
    out.print("unmapped fields: " + (", ".join(result.unmapped) or "none"), markup=False)
