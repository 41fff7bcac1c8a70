"""A signing key and one packed campaign of the shared small scan, made once per worker."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from distillshield.evidence import build_archive, generate_key, pack_scan
from tests.conftest import SmallScan


@dataclass(frozen=True)
class Packed:
    scan: SmallScan
    key: Path
    package: Path
    campaign: str


@pytest.fixture(scope="session")
def packed(small_scan: SmallScan, tmp_path_factory: pytest.TempPathFactory) -> Packed:
    root = tmp_path_factory.mktemp("evidence")
    key = root / "keys" / "evidence.key"
    generate_key(key)
    campaigns = orjson.loads((small_scan.result.out_dir / "campaigns.json").read_bytes())
    smallest = min(campaigns, key=lambda c: c["requests"])["campaign_id"]  # keeps the package and the tests small
    package = root / "case.zip"
    pack_scan(small_scan.result.out_dir, package, key, campaigns=[smallest])
    return Packed(small_scan, key, package, smallest)


def entries(package: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def write_entries(path: Path, items: list[tuple[str, bytes]]) -> Path:
    """A package rebuilt canonically from ``items``, so only entry-level checks can catch the change."""
    path.write_bytes(build_archive(items))
    return path
