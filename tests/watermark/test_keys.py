"""Key files: generation, rotation, tokenizer binding, and errors that name the field."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from distillshield.cli.main import app
from distillshield.errors import InputError
from distillshield.provenance.testbed import BigramLM, GreenBias, build_tokenizer, decode
from distillshield.respond.watermark import GreenList, load_keyring

runner = CliRunner()


@pytest.fixture
def tokenizer_path(tmp_path: Path) -> Path:
    build_tokenizer(tmp_path / "tokenizer.json")
    return tmp_path / "tokenizer.json"


def test_keygen_then_rotate_then_detect(tmp_path: Path, tokenizer_path: Path) -> None:
    key = tmp_path / "wm-key.json"
    first = runner.invoke(
        app, ["watermark", "keygen", str(key), "--tokenizer", str(tokenizer_path), "--active-from", "2026-01-01", "-q"]
    )
    assert first.exit_code == 0, first.output
    assert key.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["watermark", "keygen", str(key), "--tokenizer", str(tokenizer_path)])
    assert again.exit_code == 2 and "--rotate" in again.output
    rotated = runner.invoke(app, ["watermark", "keygen", str(key), "--rotate", "--active-from", "2026-07-01", "-q"])
    assert rotated.exit_code == 0, rotated.output
    ring = load_keyring(key)
    assert [k.key_id for k in ring.keys] == ["2026-01-01", "2026-07-01"]
    assert ring.active(date(2026, 3, 1)).key_id == "2026-01-01"
    assert ring.active(date(2026, 8, 1)).key_id == "2026-07-01"
    with pytest.raises(LookupError):
        ring.active(date(2025, 1, 1))

    # Text marked with the older key is still found, at a p-value corrected for two keys.
    old = ring.schemes[0]
    assert isinstance(old, GreenList)
    model = BigramLM(np.zeros((ring.vocab_size, ring.vocab_size)))
    ids = model.generate([[5]], 150, seed=0, processor=GreenBias(old))[0]
    tokenizer = build_tokenizer()
    (tmp_path / "reply.txt").write_text(decode(tokenizer, ids), encoding="utf-8")
    found = ring.detect(ids)
    assert found.best.key_id == "2026-01-01" and found.p_value == pytest.approx(2 * found.best.p_value)
    shown = runner.invoke(app, ["watermark", "detect", str(key), str(tmp_path / "reply.txt"), "-q"])
    assert shown.exit_code == 0 and float(shown.output.split("=")[1]) < 1e-6


def test_key_file_bound_to_its_tokenizer(tmp_path: Path, tokenizer_path: Path) -> None:
    key = tmp_path / "wm-key.json"
    runner.invoke(app, ["watermark", "keygen", str(key), "--tokenizer", str(tokenizer_path), "-q"])
    tokenizer_path.write_text(tokenizer_path.read_text().replace('"anna"', '"annb"'))
    with pytest.raises(InputError, match="not the tokenizer"):
        load_keyring(key)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"format": "x"}, "format"),
        ({"format": "distillshield-watermark/1", "vocab_size": 1}, "vocab_size"),
        ({"format": "distillshield-watermark/1", "vocab_size": 50, "keys": [{"scheme": "nope"}]}, "keys[0]"),
        (
            {
                "format": "distillshield-watermark/1",
                "vocab_size": 50,
                "keys": [{"id": "a", "scheme": "gumbel", "params": {"key": 1}, "active_from": "soon"}],
            },
            "keys[0]",
        ),
        (
            {
                "format": "distillshield-watermark/1",
                "vocab_size": 50,
                "keys": [{"id": "a", "scheme": "greenlist", "params": {"greenlist_ratio": 2}}],
            },
            "keys",
        ),
    ],
)
def test_bad_key_files_name_the_field(tmp_path: Path, raw: dict[str, object], field: str) -> None:
    key = tmp_path / "k.json"
    key.write_text(json.dumps(raw))
    with pytest.raises(InputError, match=rf"field '{field}'".replace("[", r"\[").replace("]", r"\]")):
        load_keyring(key)


def test_not_json_names_the_line(tmp_path: Path) -> None:
    key = tmp_path / "k.json"
    key.write_text('{\n  "format": ,\n}')
    with pytest.raises(InputError, match=r"k.json:2"):
        load_keyring(key)


def test_keygen_rejects_bad_options(tmp_path: Path, tokenizer_path: Path) -> None:
    key = tmp_path / "k.json"
    missing = runner.invoke(app, ["watermark", "keygen", str(key)])
    assert missing.exit_code == 2 and "--tokenizer is required" in missing.output
    scheme = runner.invoke(app, ["watermark", "keygen", str(key), "--tokenizer", str(tokenizer_path), "--scheme", "x"])
    assert scheme.exit_code == 2 and "--scheme must be one of" in scheme.output
    day = runner.invoke(
        app, ["watermark", "keygen", str(key), "--tokenizer", str(tokenizer_path), "--active-from", "May"]
    )
    assert day.exit_code == 2 and "YYYY-MM-DD" in day.output
    assert not key.exists()


def test_default_install_needs_no_torch() -> None:
    # The CLI, the watermark schemes and the audit import torch only when they use it.
    code = (
        "import sys, distillshield.cli.main, distillshield.provenance, distillshield.respond.watermark; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
