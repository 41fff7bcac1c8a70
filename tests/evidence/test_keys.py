"""Signing keys: 0600 private files, fingerprints, and refusal of keys others can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import ConfigError, InputError
from distillshield.evidence import generate_key, key_info, load_private_key, load_public_key
from distillshield.evidence.keys import fingerprint

runner = CliRunner()


def test_generate_writes_a_private_file_only_its_owner_reads(tmp_path: Path) -> None:
    info = generate_key(tmp_path / "k" / "evidence.key")
    assert info.private_path is not None and info.public_path == tmp_path / "k" / "evidence.key.pub"
    assert stat.S_IMODE(info.private_path.stat().st_mode) == 0o600
    assert info.fingerprint.startswith("ed25519:") and len(info.fingerprint) == len("ed25519:") + 64
    assert fingerprint(load_public_key(info.public_path)) == info.fingerprint
    assert fingerprint(load_private_key(info.private_path).public_key()) == info.fingerprint
    assert key_info(info.public_path).fingerprint == info.fingerprint


def test_existing_key_is_kept_unless_forced(tmp_path: Path) -> None:
    first = generate_key(tmp_path / "evidence.key")
    with pytest.raises(ConfigError, match="already exists"):
        generate_key(tmp_path / "evidence.key")
    assert generate_key(tmp_path / "evidence.key", overwrite=True).fingerprint != first.fingerprint


def test_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    info = generate_key(tmp_path / "evidence.key")
    assert info.private_path is not None
    info.private_path.chmod(0o644)
    with pytest.raises(ConfigError, match="mode 0644"):
        load_private_key(info.private_path)


def test_bad_and_missing_key_files_name_the_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pub"
    junk.write_text("not a key", encoding="utf-8")
    with pytest.raises(InputError, match="junk.pub"):
        load_public_key(junk)
    with pytest.raises(ConfigError, match="keys generate"):
        load_public_key(tmp_path / "absent.pub")


def test_keys_cli_generate_and_show(tmp_path: Path) -> None:
    path = tmp_path / "cli.key"
    made = runner.invoke(app, ["keys", "generate", str(path)])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(app, ["keys", "show", str(path) + ".pub", "--quiet"])
    assert shown.exit_code == 0 and shown.stdout.strip() == made.stdout.strip()
    again = runner.invoke(app, ["keys", "generate", str(path)])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_default_key_location_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = runner.invoke(app, ["keys", "generate", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cfg" / "distillshield" / "evidence.key").exists()
