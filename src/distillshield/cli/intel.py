"""``distillshield intel``: share campaigns as STIX/TAXII/MISP, and match partners' intelligence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, cast

import typer
import yaml

from distillshield.cli.common import Quiet, err, out, reports_errors
from distillshield.errors import InputError, Location
from distillshield.intel import (
    ExportOptions,
    IntelStore,
    Keyring,
    check_privacy_file,
    dump_keyring,
    export_scan,
    load_keyring,
    match_scan,
    misp_events,
    new_keyring,
    open_collection,
    open_intel,
    pull,
    push,
    write_bundle,
    write_matches,
)
from distillshield.intel.export import Container, IpPolicy

app = typer.Typer(
    help="Share campaigns as STIX 2.1 / TAXII 2.1 / MISP and match partners' intelligence.\n\n"
    "Example: distillshield intel export scan-out --keys keys.yaml --out bundle.json",
    no_args_is_help=True,
)

Keys = Annotated[
    Path,
    typer.Option("--keys", envvar="DISTILLSHIELD_INTEL_KEYS", help="Consortium keyring (YAML; see intel keygen)."),
]
Token = Annotated[str | None, typer.Option("--token", envvar="DISTILLSHIELD_TAXII_TOKEN", help="TAXII bearer token.")]
Url = Annotated[str, typer.Option("--url", help="TAXII 2.1 collection URL (…/collections/<id>/).")]


@app.command("keygen")
@reports_errors
def keygen(
    path: Annotated[Path, typer.Option("--out", "-o", help="Keyring file to create, or to rotate with --rotate.")],
    key_id: Annotated[str, typer.Option("--key-id", help="Id of the new key, shared with partners.")],
    rotate: Annotated[bool, typer.Option("--rotate", help="Add a new active key to an existing keyring.")] = False,
    quiet: Quiet = False,
) -> None:
    """Create a consortium keyring, or rotate it (old keys stay for matching older intelligence).

    Example: distillshield intel keygen --out keys.yaml --key-id consortium-2026q2
    """
    if rotate:
        keyring = _keyring_call(lambda: load_keyring(path).rotated(key_id), path)
    elif path.exists():
        raise InputError("exists already; pass --rotate to add a key", Location(path))
    else:
        keyring = _keyring_call(lambda: new_keyring(key_id), path)
    dump_keyring(keyring, path)
    if not quiet:
        err.print(f"keyring {path}: active key {keyring.active}, {len(keyring.keys)} key(s)")


@app.command("export")
@reports_errors
def export(
    scan_dir: Annotated[Path, typer.Argument(help="Scan output directory (campaigns.json, scan.duckdb).")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="STIX 2.1 bundle to write.")],
    keys: Keys,
    producer: Annotated[str, typer.Option("--producer", help="Your organisation's name.")] = "distillshield operator",
    tlp: Annotated[str, typer.Option("--tlp", help="clear, green, amber, amber+strict or red.")] = "amber",
    ip_policy: Annotated[str, typer.Option("--ip-policy", help="net24 (IPv4 /24 networks) or none.")] = "net24",
    container: Annotated[str, typer.Option("--container", help="report (finished) or grouping.")] = "report",
    share_text: Annotated[
        bool, typer.Option("--share-template-text", help="Also share normalised template text (opt-in).")
    ] = False,
    attribution: Annotated[
        Path | None, typer.Option("--attribution", help="YAML: campaign_id -> intrusion-set name.")
    ] = None,
    state: Annotated[Path, typer.Option("--state", help="Keeps ids stable across re-exports.")] = Path(
        "intel-state.json"
    ),
    db: Annotated[Path | None, typer.Option("--db", help="Scan database (default SCAN_DIR/scan.duckdb).")] = None,
    misp_dir: Annotated[Path | None, typer.Option("--misp", help="Also write MISP events into this directory.")] = None,
    share_model: Annotated[
        list[str] | None,
        typer.Option("--share-model", help="A model name shared in clear (repeatable); others are pseudonymised."),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Export a scan's campaigns as one STIX 2.1 bundle, identifiers pseudonymised.

    Example: distillshield intel export scan-out --keys keys.yaml --tlp amber --out bundle.json
    """
    if ip_policy not in ("net24", "none") or container not in ("report", "grouping"):
        raise typer.BadParameter("--ip-policy must be net24 or none; --container report or grouping")
    options = ExportOptions(
        producer=producer,
        tlp=tlp.lower(),
        ip_policy=cast(IpPolicy, ip_policy),
        container=cast(Container, container),
        share_template_text=share_text,
        attribution=_attribution(attribution) if attribution else {},
        share_models=tuple(share_model or ()),
    )
    if options.tlp not in ("clear", "green", "amber", "amber+strict", "red"):
        raise typer.BadParameter(f"--tlp must be clear, green, amber, amber+strict or red, not {tlp!r}")
    bundle = export_scan(scan_dir, load_keyring(keys), options, db_path=db, state_path=state)
    write_bundle(bundle, out_path)
    if misp_dir:
        _write_misp(bundle, misp_dir)
    out.print(f"{out_path}: {len(bundle['objects'])} objects")


@app.command("import")
@reports_errors
def import_(
    bundles: Annotated[list[Path], typer.Argument(help="STIX 2.1 bundles or TAXII envelopes (JSON).")],
    store: Annotated[Path, typer.Option("--store", help="Local intelligence store.")] = Path("intel-store"),
    quiet: Quiet = False,
) -> None:
    """Import partners' bundles (TLP 1.0/2.0/OpenCTI markings, versions, revocations) into the store.

    Example: distillshield intel import partner-bundle.json --store intel-store
    """
    intel = IntelStore(store)
    for path in bundles:
        stats = intel.import_file(path)
        out.print(f"{path}: {json.dumps(stats.as_dict())}")


@app.command("match")
@reports_errors
def match(
    scan_dir: Annotated[Path, typer.Argument(help="Scan output directory holding scan.duckdb.")],
    intel: Annotated[Path, typer.Option("--intel", help="Intelligence store, or a folder of bundles.")],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="matches.json to write.")],
    keys: Keys,
    producer: Annotated[str, typer.Option("--producer", help="Your organisation's name.")] = "distillshield operator",
    db: Annotated[Path | None, typer.Option("--db", help="Scan database (default SCAN_DIR/scan.duckdb).")] = None,
    quiet: Quiet = False,
) -> None:
    """Match partners' intelligence against a scan: sightings to share back, accounts to link.

    matches.json names your own accounts: keep it in house; share only its sightings bundle.

    Example: distillshield intel match scan-out --intel intel-store --keys keys.yaml --out matches.json
    """
    with open_intel(intel) as store:
        result = match_scan(scan_dir, store, load_keyring(keys), producer=producer, db_path=db)
    write_matches(result, out_path)
    groups = result.campaign_accounts()
    out.print(f"{out_path}: {sum(len(v) for v in groups.values())} account(s) linked to {len(groups)} campaign(s)")
    if result.unknown_key_ids and not quiet:
        err.print(f"[yellow]no key for key id(s) {', '.join(result.unknown_key_ids)}: those pseudonyms were skipped[/]")


@app.command("misp")
@reports_errors
def misp(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by intel export.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", "-o", help="Directory for one MISP event per campaign.")],
    quiet: Quiet = False,
) -> None:
    """Write MISP events (feed JSON) with tlp:* and ATLAS galaxy tags.

    Example: distillshield intel misp bundle.json --out-dir misp-events
    """
    _write_misp(_read_json(bundle), out_dir)


@app.command("check")
@reports_errors
def check(
    files: Annotated[list[Path], typer.Argument(help="Export files to scan (STIX, MISP, any text).")],
    allow_ip: Annotated[list[str] | None, typer.Option("--allow-ip", help="An address that may appear.")] = None,
    quiet: Quiet = False,
) -> None:
    """Privacy check: look for raw e-mails, card-like numbers and host IPs in exports. Exit 1 on a find.

    Example: distillshield intel check bundle.json misp-events/*.json
    """
    found = 0
    for path in files:
        for finding in check_privacy_file(path, allowed_ips=allow_ip or ()):
            out.print(f"{path}: {finding}")
            found += 1
    out.print(f"{found} finding(s) in {len(files)} file(s)")
    raise typer.Exit(1 if found else 0)


@app.command("serve")
@reports_errors
def serve(
    config: Annotated[Path, typer.Option("--config", help="Server configuration (YAML; see docs/intel.md).")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 0,
    data: Annotated[Path | None, typer.Option("--data", help="JSON file that keeps the collections.")] = None,
    quiet: Quiet = False,
) -> None:
    """Run a TAXII 2.1 server with token auth and per-collection read/write permissions.

    Example: distillshield intel serve --config taxii.yaml --port 9443 --data taxii-data.json
    """
    import uvicorn

    from distillshield.intel.taxii_backend import MemoryBackend
    from distillshield.intel.taxii_config import load_taxii_config
    from distillshield.intel.taxii_server import create_app

    app_ = create_app(load_taxii_config(config), MemoryBackend(data))
    uvicorn.run(app_, host=host, port=port, log_level="warning" if quiet else "info")


@app.command("push")
@reports_errors
def push_(
    bundle: Annotated[Path, typer.Argument(help="Bundle to publish.")],
    url: Url,
    token: Token = None,
    user: Annotated[str | None, typer.Option("--user", help="HTTP Basic user (instead of a token).")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="DISTILLSHIELD_TAXII_PASSWORD")] = None,
    with_ext: Annotated[
        bool, typer.Option("--include-extension-definitions", help="Also push extension-definition objects.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Publish a bundle's objects to a TAXII 2.1 collection.

    Example: distillshield intel push bundle.json --url https://hub.example/intel/collections/91a7…/ --token $T
    """
    collection = open_collection(url, token=token, user=user, password=password)
    include = frozenset({"extension-definition"}) if with_ext else frozenset()
    result = push(collection, _read_json(bundle)["objects"], include=include)
    out.print(
        f"{result.succeeded} of {result.sent} object(s) accepted, {result.failed} failed, {result.held_back} held back"
    )


@app.command("pull")
@reports_errors
def pull_(
    url: Url,
    token: Token = None,
    store: Annotated[Path, typer.Option("--store", help="Local intelligence store.")] = Path("intel-store"),
    added_after: Annotated[str | None, typer.Option("--added-after", help="Only objects added after this.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="HTTP Basic user (instead of a token).")] = None,
    password: Annotated[str | None, typer.Option("--password", envvar="DISTILLSHIELD_TAXII_PASSWORD")] = None,
    quiet: Quiet = False,
) -> None:
    """Fetch a TAXII 2.1 collection (all pages) into the local store.

    Example: distillshield intel pull --url https://hub.example/intel/collections/91a7…/ --token $T
    """
    objects = pull(open_collection(url, token=token, user=user, password=password), added_after=added_after)
    stats = IntelStore(store).import_objects(objects)
    out.print(f"{len(objects)} object(s) pulled: {json.dumps(stats.as_dict())}")


def _write_misp(bundle: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for event in misp_events(bundle):
        path = out_dir / f"{event['Event']['uuid']}.json"
        path.write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
        out.print(f"{path}: {event['Event']['info']}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(path)) from exc
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", Location(path)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("objects"), list):
        raise InputError("expected a STIX bundle with objects", Location(path, 1, "objects"))
    return data


def _attribution(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read attribution: {exc}", Location(path)) from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise InputError("expected a mapping campaign_id: intrusion-set name", Location(path, 1))
    return {str(k): v for k, v in data.items()}


def _keyring_call(make: Callable[[], Keyring], path: Path) -> Keyring:
    try:
        return make()
    except ValueError as exc:
        raise InputError(str(exc), Location(path, 0, "keys")) from exc
