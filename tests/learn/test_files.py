"""Labels and model files are hostile input: bad rows quarantined, bad files refused, each naming file/line/field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillshield.detect.model import DetectionModel, load_model
from distillshield.errors import InputError
from distillshield.learn import read_label_files
from distillshield.records import Signal
from distillshield.settings import Settings

LABELS = """account_id,label,campaign_id,archetype
a1,distiller,C1,analyst-confirm:alice
,benign,,analyst-dismiss:alice
a3,maybe,,analyst-dismiss:alice
a4,benign,C9,analyst-dismiss:alice
a5,benign,,too,many
a6,benign,,analyst-dismiss:alice
a7,benign,,eval_company
"""


def test_bad_label_rows_are_quarantined_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(LABELS, encoding="utf-8")
    labels = read_label_files([path])
    assert labels.decided() == {"a1": "distiller", "a6": "benign", "a7": "benign"}
    where = [(q.where.line, q.where.field) for q in labels.quarantined]
    assert where == [(3, "account_id"), (4, "label"), (5, "campaign_id"), (6, None)]
    assert all(q.where.path == path for q in labels.quarantined)
    assert labels.analysts("a1") == {"alice"}
    assert labels.analysts("a7") == {"labels.csv"}, "a file that names no analyst is one analyst"


def test_analysts_who_disagree_leave_the_account_out(tmp_path: Path) -> None:
    first, second = tmp_path / "alice.csv", tmp_path / "bob.csv"
    first.write_text("account_id,label,campaign_id,archetype\na1,benign,,analyst-dismiss:alice\n", encoding="utf-8")
    second.write_text("account_id,label,campaign_id,archetype\na1,distiller,,analyst-confirm:bob\n", encoding="utf-8")
    labels = read_label_files([first, second])
    assert labels.decided() == {} and labels.conflicting() == ["a1"]


def test_known_organisations_confirmed_accounts_are_benign_labels(tmp_path: Path) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text("confirmed_benign:\n  - account: acct-9\n    note: carol\n", encoding="utf-8")
    labels = read_label_files([path])
    assert labels.decided() == {"acct-9": "benign"} and labels.analysts("acct-9") == {"carol"}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id,verdict\na,b\n", 1),  # not a labels file
        (b"account_id,label,campaign_id,archetype\na,\xff\xfe,,\n", 0),  # not UTF-8
        ("account_id,label,campaign_id,archetype\n" + "a" * 200_000 + ",benign,,\n", 2),  # past the field limit
    ],
)
def test_a_file_that_is_not_labels_is_refused(tmp_path: Path, text: str | bytes, line: int) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as info:
        read_label_files([path])
    assert info.value.location.path == path and info.value.location.line == line


GOOD = """version: 1
families:
  content: 0.5
  coordination: 1.4
thresholds:
  suspicious: 0.55
  distiller: 0.85
dismissed:
  - account: acct-1
    risk: 0.31
    analyst: alice
fit:
  anything: [goes, here]
"""


def test_a_model_file_loads_into_a_frozen_model_with_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(GOOD, encoding="utf-8")
    model = load_model(path)
    assert model.family_scale == {"content": 0.5, "coordination": 1.4}
    assert model.dismissed == {"acct-1": 0.31}
    settings = model.settings(Settings())
    assert (settings.suspicious_threshold, settings.distiller_threshold) == (0.55, 0.85)
    assert len(model.digest) == 64
    with pytest.raises(AttributeError):
        model.digest = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "line", "key"),
    [
        (("  content: 0.5", "  content: -1"), 3, "families.content"),
        (("  content: 0.5", "  content: 'lots'"), 3, "families.content"),
        (("  coordination: 1.4", "  gossip: 1.4"), 4, "families.gossip"),
        (("  suspicious: 0.55", "  suspicious: 0.9"), 6, "thresholds.suspicious"),
        (("version: 1", "version: 2"), 1, "model.version"),
        (("    risk: 0.31", "    risk: 7"), 10, "dismissed[0].risk"),
        (("    analyst: alice", "    analyst: alice\n    risk: 0.2"), 12, "risk"),
        (("fit:", "extra: 1\nfit:"), 12, "model.extra"),
    ],
)
def test_a_bad_model_file_names_its_line_and_key(tmp_path: Path, change: tuple[str, str], line: int, key: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_model(path)
    assert info.value.location.line == line
    assert key in (info.value.location.field or "") or key in str(info.value)


@pytest.mark.parametrize("scale", [0.25, 0.5, 1.0, 2.0, 4.0])
def test_family_scales_keep_weights_in_order_and_in_range(scale: float) -> None:
    model = DetectionModel({"content": scale})
    weights = [0.0, 0.05, 0.3, 0.6, 0.9, 0.999, 1.0]
    scaled = [model.weigh(Signal("s", "n", 1.0, w, family="content")).weight for w in weights]
    assert scaled == sorted(scaled) and all(0.0 <= w <= 1.0 for w in scaled)
    other = model.weigh(Signal("s", "n", 1.0, 0.6, family="volume"))
    assert other.weight == 0.6, "other families keep their weights"
