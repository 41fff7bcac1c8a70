"""``learn`` is tested on a scan whose evidence is deliberately thin, so the shipped weights leave work to do.

With the default settings the shipped weights already judge the small simulated log's campaigns the way its
labels do, and learning would have nothing to move. Turning off the fleet signal (a setting, recorded in
run.json, which ``learn`` reads back) leaves one campaign below ``distiller``: a scan with known gaps.
"""

from __future__ import annotations

import pytest

from distillshield.pipeline import run_scan
from distillshield.settings import Settings
from tests.conftest import SmallScan

#: The settings of the learn tests' scan: no group is large enough to count as a fleet.
THIN = Settings(fleet_min_members=1_000_000)


@pytest.fixture(scope="session")
def small_scan(small_scan: SmallScan, tmp_path_factory: pytest.TempPathFactory) -> SmallScan:
    """The shared small log, scanned with :data:`THIN` settings."""
    out = tmp_path_factory.mktemp("thin-scan") / "scan"
    result = run_scan([small_scan.log], out, settings=THIN, html=False)
    return SmallScan(small_scan.data_dir, small_scan.log, small_scan.labels, result)
