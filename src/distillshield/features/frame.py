"""The per-account feature table as numpy columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa


@dataclass(frozen=True, slots=True)
class AccountFrame:
    """Account ids and one numpy column per feature, all of the same length."""

    account_ids: tuple[str, ...]
    columns: dict[str, npt.NDArray[np.float64]]

    def __len__(self) -> int:
        return len(self.account_ids)

    def __getitem__(self, name: str) -> npt.NDArray[np.float64]:
        return self.columns[name]

    @classmethod
    def from_arrow(cls, table: pa.Table, id_column: str = "account_id") -> AccountFrame:
        """Numeric columns become float64 with NaN for nulls; others are dropped."""
        ids = tuple(str(v) for v in table.column(id_column).to_pylist())
        columns: dict[str, npt.NDArray[np.float64]] = {}
        for name in table.column_names:
            column = table.column(name)
            if name == id_column or not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
                continue
            columns[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return cls(ids, columns)
