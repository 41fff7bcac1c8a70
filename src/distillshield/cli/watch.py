"""``distillshield watch``: follow the gateway's logs or a Redis stream and keep the verdicts up to date."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, cast

import typer

from distillshield.cli.common import (
    KnownOrgsOption,
    ModelOption,
    Quiet,
    err,
    known_organisations,
    learned_model,
    out,
    reports_errors,
)
from distillshield.cli.mapping import MappingOption, mapping_from
from distillshield.detect.rules import load_rules
from distillshield.pipeline import content_fields
from distillshield.registry import build_registry
from distillshield.report.ocsf import write_ocsf
from distillshield.settings import settings_from
from distillshield.watch import (
    Detection,
    FileSource,
    RedisStreamSource,
    Update,
    WatchOptions,
    parse_stream_url,
    run_watch,
)
from distillshield.watch.alerts import Alerter, AlertFormat, AlertSender
from distillshield.watch.run import Source


@reports_errors
def command(
    source: Annotated[
        str, typer.Argument(help="A log directory or file, or redis://HOST:PORT/DB?stream=NAME[&group=G].")
    ],
    state: Annotated[Path, typer.Option("--state", help="Directory of the state database (rows + checkpoints).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for accounts.csv, campaigns.json ...")],
    every: Annotated[float, typer.Option("--every", min=0, help="Least seconds between two verdict updates.")] = 30.0,
    poll: Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between two looks at the source.")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Ingest what is there, update once, exit.")] = False,
    setting: Annotated[
        list[str] | None, typer.Option("--set", help="Override a setting: name=value (repeatable).")
    ] = None,
    rules_dir: Annotated[
        list[Path] | None, typer.Option("--rules", help="A directory of your own detection rules (repeatable).")
    ] = None,
    known_orgs: KnownOrgsOption = None,
    model: ModelOption = None,
    mapping: MappingOption = None,
    alert: Annotated[
        str | None,
        typer.Option("--alert", help="POST alerts here: new or grown campaigns, new distillers."),
    ] = None,
    alert_format: Annotated[str, typer.Option("--alert-format", help="json, or slack (an incoming webhook).")] = "json",
    alert_growth: Annotated[
        float, typer.Option("--alert-growth", min=0.01, help="Alert when a campaign's accounts grow by this share.")
    ] = 0.5,
    ocsf: Annotated[
        Path | None, typer.Option("--ocsf", help="Also write OCSF Detection Finding records (JSON Lines) here.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Follow traffic logs or a Redis stream incrementally and keep the scan outputs up to date.

    New lines and rotated files (plain or gzip) of a log directory, or new
    entries of a Redis stream, are ingested as they arrive, each batch committed
    with its checkpoint, so a restart loses nothing and counts nothing twice.
    Every --every seconds, when something new arrived, accounts.csv,
    campaigns.json, timeline.csv, quarantine.jsonl and watch.json in OUT are
    rewritten; they equal what `scan` writes for the same records. Stop with
    Ctrl-C (or SIGTERM).

    With --alert URL, each new campaign, campaign grown by --alert-growth (a share of
    its accounts) and account escalated to distiller is POSTed there once, from a
    background thread that retries while the receiver is down; undelivered alerts
    are kept in STATE/alerts-pending.jsonl and sent by the next watch.

    Example: distillshield watch /var/log/distillshield --state watch-state --out watch-out --every 60

    To Slack: distillshield watch logs/ --state s --out o --alert https://hooks.slack.com/... --alert-format slack

    With --model (from `distillshield learn`) the learned weights, thresholds and dismissed accounts decide
    the verdicts, as in `scan --model`; its SHA-256 is in watch.json and every trace.
    """
    if alert_format not in ("json", "slack"):
        raise typer.BadParameter(f"--alert-format must be json or slack, not {alert_format!r}")
    settings = settings_from(setting)
    registry = build_registry()
    rules = tuple(load_rules(rules_dir or [], content_fields=content_fields(registry)))
    options = WatchOptions(every_s=every, poll_s=poll, once=once, mapping=mapping_from(mapping))
    stopping = _stop_on_signals()
    sender = (
        AlertSender(alert, state / "alerts-pending.jsonl", fmt=cast(AlertFormat, alert_format),
                    status_path=out_dir / "alerts.json")
        if alert else None
    )  # fmt: skip
    alerter = Alerter(sender, state, out_dir, growth=alert_growth) if sender is not None else None

    def on_update(update: Update) -> None:
        if not quiet:
            _print_update(update)
        if ocsf is not None and (out_dir / "accounts.csv").exists():
            write_ocsf(out_dir, ocsf)
        if alerter is not None:
            alerter.update()

    try:
        last = run_watch(
            _source(source, settings.max_record_bytes, (state, out_dir)),
            state,
            out_dir,
            Detection(settings, registry, rules, known_organisations(known_orgs), learned_model(model)),
            options,
            on_update=on_update,
            stop=lambda: stopping[0],
        )
    finally:
        if sender is not None:
            sender.close()
    if last is not None:
        counts = last.counts
        out.print(f"{counts['read']} read, {counts['accepted']} accepted, {counts['quarantined']} quarantined")


def _source(text: str, max_record_bytes: int, own: tuple[Path, ...]) -> Source:
    if text.startswith(("redis://", "rediss://")):
        return RedisStreamSource(parse_stream_url(text))
    path = Path(text)
    if not path.exists():
        raise typer.BadParameter(f"no such log directory or file: {text}")
    return FileSource(path, max_record_bytes=max_record_bytes, exclude=own)


def _print_update(update: Update) -> None:
    c = update.counts
    err.print(
        f"[dim]{update.at}[/] {c.get('read', 0)} read, {c.get('accepted', 0)} accepted, "
        f"{c.get('quarantined', 0)} quarantined; {c.get('accounts', 0)} accounts, "
        f"{c.get('suspicious', 0)} suspicious, {c.get('distiller', 0)} distiller, "
        f"{c.get('campaigns', 0)} campaigns [dim]({update.took_s:.1f} s)[/]"
    )


def _stop_on_signals() -> list[bool]:
    """A flag set by SIGINT or SIGTERM: the loop finishes its batch and returns (a commit is never cut)."""
    flag = [False]

    def handle(signum: int, frame: FrameType | None) -> None:
        flag[0] = True

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return flag
