"""Problems found in an extract, and the error that carries them to the command line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_EXAMPLES = 5

# Messages written by more than one checker (pandas frames, SQL over Parquet files).
NOT_FINITE = "not a finite number"
MISSING_VALUE = "missing value"
DUPLICATE_KEY = "duplicate key"
EMPTY_TABLE = "table is empty"
REQUIRED_MISSING = "required column missing"
FOUNDED_LATE = "founded after the observation year"
UNKNOWN_CLUSTER = "cluster_id not in the clusters table"
SELF_LINK = "link from a firm to itself"
UNKNOWN_FIRM = "firm_id not in firms for that year"
NO_MEMBERS = "no row belongs to a cluster (every cluster_id is empty): nothing to compute"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an extract: where it is, how often, and a few rows to look at.

    ``rows`` are 1-based positions among the table's data rows (the header not counted), so
    an analyst can find them in a spreadsheet or with ``sed``.
    """

    file: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int = 0

    def line(self) -> str:
        where = self.file if self.column is None else f"{self.file}, column {self.column}"
        text = f"{where}: {self.message}"
        if self.count:
            text += f" ({self.count} row{'s' if self.count != 1 else ''}"
            if self.rows:
                text += ", e.g. row " + ", ".join(str(r) for r in self.rows[:MAX_EXAMPLES])
            text += ")"
        return text


def rows_of(mask_index: Sequence[int]) -> tuple[int, ...]:
    """Turn 0-based positional indices into the first few 1-based row numbers."""
    return tuple(int(i) + 1 for i in list(mask_index)[:MAX_EXAMPLES])


class ContractError(Exception):
    """An extract breaks the data contract; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__(self.problems[0].line() if self.problems else "invalid extract")

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]
