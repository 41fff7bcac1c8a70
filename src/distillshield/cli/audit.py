"""``distillshield audit``: test whether a suspect model learned from the protected model's outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import ConfigError
from distillshield.provenance import AuditOptions, ChatClient, load_plan, read_prompts, run_audit, write_report
from distillshield.provenance.audit import format_p
from distillshield.provenance.radioactivity import transformers_top_one


@reports_errors
def command(
    suspect: Annotated[
        str, typer.Option("--suspect", help="The suspect's OpenAI-compatible base URL (ending in /v1).")
    ],
    key: Annotated[Path, typer.Option("--key", help="Watermark key file (see docs/provenance.md).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for audit.json and audit.html.")],
    model: Annotated[str, typer.Option("--model", help="Model name sent to the suspect.")] = "default",
    api_key_env: Annotated[
        str | None, typer.Option("--api-key-env", help="Environment variable holding the suspect's API key.")
    ] = None,
    queries: Annotated[int, typer.Option("--queries", min=1, help="Prompts sent for the radioactivity test.")] = 100,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Tokens requested per reply.")] = 200,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, help="Sampling temperature.")] = 1.0,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0.0, max=1.0, help="Significance level of the verdict.")
    ] = 1e-3,
    protected: Annotated[
        str | None, typer.Option("--protected", help="The protected model's URL, for the fingerprint test.")
    ] = None,
    reference: Annotated[
        list[str] | None, typer.Option("--reference", help="URL of an unrelated model (fingerprint null); repeatable.")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="Local transformers model directory of the suspect (open weights).")
    ] = None,
    texts: Annotated[
        Path | None, typer.Option("--texts", help="Watermarked texts the suspect reads (one per line or JSONL).")
    ] = None,
    decoys: Annotated[
        int, typer.Option("--decoys", min=0, help="Random decoy keys scoring the same outputs (measured null).")
    ] = 0,
    quiet: Quiet = False,
) -> None:
    """Run the radioactivity, canary, identity and fingerprint tests and write a report with p-values.

    The query budget (--queries x --max-tokens) is fixed up front; each test reports its statistic,
    p-value, assumptions and what would falsify it, and the verdict combines them (Holm).

    With --decoys N the radioactivity tests also score the same outputs with N random keys and
    report that measured null beside the key's p-value.

    Example: distillshield audit --suspect http://10.0.0.5:8000/v1 --key wm-key.json --out audit-out --decoys 200
    """
    if (weights is None) != (texts is None):
        raise ConfigError("--weights and --texts go together (the open-weights test needs both)")
    plan = load_plan(key)
    api_key = os.environ.get(api_key_env) if api_key_env else None
    options = AuditOptions(
        queries=queries,
        max_tokens=max_tokens,
        temperature=temperature,
        alpha=alpha,
        protected=ChatClient(protected, model=model) if protected else None,
        references=tuple(ChatClient(url, model=model) for url in reference or ()),
        top_one=transformers_top_one(str(weights)) if weights else None,
        watermarked_texts=tuple(plan.tokenize(t) for t in read_prompts(texts)) if texts else (),
        decoys=decoys,
    )
    if not quiet:
        err.print(f"auditing {escape(suspect)} with {len(plan.keyring.keys)} key(s), {queries} queries")
    report = run_audit(plan, ChatClient(suspect, model=model, api_key=api_key), name=suspect, options=options)
    json_path, html_path = write_report(report, out_dir)
    out.print(f"{report.verdict} (combined p = {format_p(report.combined_p)})")
    if not quiet:
        for finding in report.findings:
            shown = "skipped" if finding.p_value is None else f"p = {format_p(finding.p_value)}"
            err.print(f"  {finding.test}: {shown}")
        err.print(f"report: {escape(str(html_path))}, {escape(str(json_path))}")
