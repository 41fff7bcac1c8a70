"""MISP export through pymisp, and the ``distillshield intel`` commands end to end."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pymisp
import pytest
from pymisp import MISPEvent
from typer.testing import CliRunner

from distillshield.cli.main import app as cli
from distillshield.intel import check_privacy_file, dump_keyring, load_keyring, misp_events
from tests.intel.conftest import KEYRING, Provider

runner = CliRunner()


def test_pymisp_loads_our_events(bundle_a: Path, tmp_path: Path) -> None:
    events = misp_events(json.loads(bundle_a.read_text()))
    assert events
    lax = json.loads((Path(pymisp.__file__).parent / "data" / "schema-lax.json").read_text())
    for i, event in enumerate(events):
        jsonschema.validate(event, lax)
        path = tmp_path / f"event-{i}.json"
        path.write_text(json.dumps(event))
        loaded = MISPEvent()
        loaded.load_file(str(path))
        tags = {t.name for t in loaded.tags}
        assert "tlp:amber" in tags
        assert 'misp-galaxy:mitre-atlas-attack-pattern="Extract ML Model"' in tags
        assert loaded.objects and all(o.name == "user-account" for o in loaded.objects)
        assert loaded.Orgc.name == "Provider A"
        assert check_privacy_file(path) == []


def test_cli_keygen_rotates(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    assert runner.invoke(cli, ["intel", "keygen", "--out", str(keys), "--key-id", "k1"]).exit_code == 0
    refused = runner.invoke(cli, ["intel", "keygen", "--out", str(keys), "--key-id", "k2"])
    assert refused.exit_code == 2 and "--rotate" in " ".join(refused.output.split())
    assert runner.invoke(cli, ["intel", "keygen", "--out", str(keys), "--key-id", "k2", "--rotate"]).exit_code == 0
    keyring = load_keyring(keys)
    assert (keyring.active, keyring.key_ids) == ("k2", ("k2", "k1"))


def test_bad_keyring_names_the_field(tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("active: k1\nkeys:\n  k1: abcd\n")
    result = runner.invoke(
        cli,
        [
            "intel",
            "match",
            str(tmp_path),
            "--intel",
            str(tmp_path),
            "--keys",
            str(keys),
            "--out",
            str(tmp_path / "m.json"),
        ],
    )
    message = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2
    assert "field 'keys.k1'" in message and "at least 32" in message


def test_cli_export_import_match_misp_check(provider_a: Provider, provider_b: Provider, tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    dump_keyring(KEYRING, keys)
    bundle, store, matches = tmp_path / "bundle.json", tmp_path / "store", tmp_path / "matches.json"
    steps = [
        [
            "intel",
            "export",
            str(provider_a.scan_dir),
            "--keys",
            str(keys),
            "--out",
            str(bundle),
            "--producer",
            "Provider A",
            "--state",
            str(tmp_path / "state.json"),
            "--misp",
            str(tmp_path / "misp"),
        ],
        ["intel", "import", str(bundle), "--store", str(store)],
        ["intel", "match", str(provider_b.scan_dir), "--intel", str(store), "--keys", str(keys), "--out", str(matches)],
        ["intel", "misp", str(bundle), "--out-dir", str(tmp_path / "misp2")],
    ]
    for args in steps:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args[1], result.output)
    linked = {link["account_id"] for link in json.loads(matches.read_text())["links"]}
    assert provider_b.shared_accounts <= linked
    exports = [bundle, *sorted((tmp_path / "misp").glob("*.json"))]
    checked = runner.invoke(cli, ["intel", "check", *map(str, exports)])
    assert checked.exit_code == 0 and f"0 finding(s) in {len(exports)} file(s)" in checked.output


def test_cli_check_flags_a_leak(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.json"
    leaky.write_text(json.dumps({"description": "mail ops@example.com from 203.0.113.7, card 4111 1111 1111 1111"}))
    result = runner.invoke(cli, ["intel", "check", str(leaky)])
    assert result.exit_code == 1
    assert "3 finding(s)" in result.output


@pytest.mark.parametrize("command", ["keygen", "export", "import", "match", "misp", "check", "serve", "push", "pull"])
def test_every_intel_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(cli, ["intel", command, "--help"])
    assert result.exit_code == 0 and "Example: distillshield intel" in result.output
