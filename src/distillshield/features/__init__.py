"""The features stage: per-account numbers computed in DuckDB SQL.

Conventions: every feature is a column of the ``account_features`` table, one
row per account, computed from the ``requests`` table by SQL in :mod:`sql`;
content scores come from the registered content detectors, run once per
distinct prompt text; templates are normalised prompt parts shared by several
accounts. :func:`compute_features` returns an :class:`AccountFrame` of numpy
columns for the detect stage.
"""

from __future__ import annotations

from distillshield.features.frame import AccountFrame
from distillshield.features.pipeline import compute_features

__all__ = ["AccountFrame", "compute_features"]
