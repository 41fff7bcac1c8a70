"""labels.csv validation: every bad value is reported with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillshield.errors import InputError
from distillshield.evaluate import LabelRow, read_labels_csv

HEADER = "account_id,label,campaign_id,archetype"


def _labels(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_rows_and_tolerates_extra_columns(tmp_path: Path) -> None:
    path = _labels(tmp_path, "archetype,account_id,label,campaign_id,note", "dev,b1,benign,,x", "cot,a1,distiller,K1,y")
    assert read_labels_csv(path) == [LabelRow("b1", "benign", None, "dev"), LabelRow("a1", "distiller", "K1", "cot")]


@pytest.mark.parametrize(
    ("lines", "line", "field"),
    [
        (["account_id,label,archetype", "a,benign,dev"], 1, None),
        ([HEADER, "a,Distiller,K1,cot"], 2, "label"),
        ([HEADER, "a,benign,,dev", ",benign,,dev"], 3, "account_id"),
        ([HEADER, "a,benign,,dev", "a,benign,,dev"], 3, "account_id"),
        ([HEADER, "a,benign,K1,dev"], 2, "campaign_id"),
        ([HEADER, "a,benign,dev"], 2, None),
    ],
)
def test_bad_labels_name_line_and_field(tmp_path: Path, lines: list[str], line: int, field: str | None) -> None:
    path = _labels(tmp_path, *lines)
    with pytest.raises(InputError) as caught:
        read_labels_csv(path)
    assert (caught.value.location.path, caught.value.location.line, caught.value.location.field) == (path, line, field)


def test_a_file_with_no_label_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no account"):
        read_labels_csv(_labels(tmp_path, HEADER))
