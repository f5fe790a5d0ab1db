"""Read an extract folder into typed frames, going through the contract every time.

Every command that takes an extract (validate, features, train, score) reads it here, so a
bad file is met with the same clear message wherever it enters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusterpath.data.codes import rewrites
from clusterpath.data.contract import ColumnSpec, TableSpec, build_contract
from clusterpath.data.errors import (
    NOT_FINITE,
    REQUIRED_MISSING,
    ContractError,
    Problem,
    rows_of,
)
from clusterpath.data.files import TEXT, TableSource, locate_tables, read_raw
from clusterpath.data.reference import Reference, load_reference

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class Reading:
    """How a table was read: its source, the file's form, and values read as another code
    (one line each, e.g. "firms.csv, column industry_code: 12 rows written as ...")."""

    source: TableSource
    form: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extract:
    """A validated extract: one frame per contract table (labels may be absent)."""

    folder: Path
    readings: dict[str, Reading]
    firms: pd.DataFrame
    links: pd.DataFrame
    clusters: pd.DataFrame
    labels: pd.DataFrame | None

    @property
    def files(self) -> dict[str, Path]:
        return {name: r.source.path for name, r in self.readings.items()}

    @property
    def fingerprint(self) -> str:
        return fingerprint_files(self.files.values())


def fingerprint_files(paths: Iterable[Path]) -> str:
    """Hash the content of the given files (in name order; a workbook holding several tables
    once), so outputs can name their input."""
    digest = hashlib.sha256()
    for path in sorted({Path(p) for p in paths}):
        digest.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _coerce_string(values: pd.Series, spec: ColumnSpec, strip: bool) -> tuple[pd.Series, int]:
    """Text as the contract reads it: CSV and Excel cells lose surrounding blanks (hand-edited
    text), Parquet text is taken as written (as the SQL checks of large Parquet extracts take
    it); empty text is missing either way. A column with a code reader has every value read as
    its code; the count of rows so read is returned for the summary."""
    if not isinstance(values.dtype, pd.StringDtype):
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")
        values = values.astype(TEXT)
    out = values.str.strip() if strip else values
    out = out.mask(out == "")
    if spec.reader is None:
        return out, 0
    found = rewrites(spec.reader, out.dropna().unique())
    if not found:
        return out, 0
    read = out.isin(list(found)).fillna(False)
    return out.mask(read, out.map(found)).astype(TEXT), int(read.sum())


def _coerce_number(
    values: pd.Series, spec: ColumnSpec, file: str
) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    unparsed = numbers.isna() & values.notna()
    if unparsed.any():
        examples = ", ".join(repr(v) for v in values[unparsed].unique()[:3])
        problems.append(
            Problem(
                file,
                f"not a number ({examples})",
                spec.name,
                rows_of(np.flatnonzero(unparsed)),
                int(unparsed.sum()),
            )
        )
    infinite = np.isinf(numbers)
    if infinite.any():
        problems.append(
            Problem(
                file,
                NOT_FINITE,
                spec.name,
                rows_of(np.flatnonzero(infinite)),
                int(infinite.sum()),
            )
        )
        numbers = numbers.where(~infinite)
    if spec.kind == "int":
        fractional = numbers.notna() & (numbers % 1 != 0)
        if fractional.any():
            problems.append(
                Problem(
                    file,
                    "not a whole number",
                    spec.name,
                    rows_of(np.flatnonzero(fractional)),
                    int(fractional.sum()),
                )
            )
        if not numbers.isna().any():
            return numbers.astype("int64"), problems
    return numbers, problems


def _coerce_bool(
    values: pd.Series, spec: ColumnSpec, file: str
) -> tuple[pd.Series, list[Problem]]:
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool), []
    words = values.astype(TEXT).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out = out.mask(words.isin(TRUE_WORDS).fillna(False), True)
    out = out.mask(words.isin(FALSE_WORDS).fillna(False), False)
    bad = out.isna() & values.notna()
    problems = []
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].unique()[:3])
        problems.append(
            Problem(
                file,
                f"not true/false ({examples})",
                spec.name,
                rows_of(np.flatnonzero(bad)),
                int(bad.sum()),
            )
        )
    if not out.isna().any():
        out = out.astype(bool)
    return out, problems


def coerce_table(
    frame: pd.DataFrame, spec: TableSpec, file: str, strip: bool = False
) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Give each contract column its contract type; report columns missing or unconvertible,
    and note values read as another code. ``file`` names the table in messages; ``strip``
    takes blanks off text (CSV and Excel, not Parquet)."""
    problems: list[Problem] = []
    notes: list[str] = []
    frame = frame.reset_index(drop=True)
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required:
                problems.append(Problem(file, REQUIRED_MISSING, col.name))
            continue
        values = frame[col.name]
        if col.kind == "string":
            frame[col.name], read = _coerce_string(values, col, strip)
            if read:
                notes.append(f"{file}, column {col.name}: {_rows(read)} {col.reader.note}")
            continue
        coerce = _coerce_bool if col.kind == "bool" else _coerce_number
        frame[col.name], found = coerce(values, col, file)
        problems.extend(found)
    return frame, problems, notes


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def load_extract(
    folder: Path,
    columns: dict[str, list[str]] | None = None,
    reference: Reference | None = None,
) -> Extract:
    """Read and validate an extract; raise ContractError listing every problem found.

    ``columns`` limits what is read per table (contract checks then cover just those
    columns), so a job that needs a few columns of a large extract does not load them all.
    """
    from clusterpath.data.validation import validate_frames

    contract = build_contract(reference or load_reference())
    sources, problems = locate_tables(Path(folder), contract)
    frames: dict[str, pd.DataFrame] = {}
    readings: dict[str, Reading] = {}
    for name, source in sources.items():
        spec = narrow_spec(contract.table(name), (columns or {}).get(name))
        raw, read_problems = read_raw(source, (columns or {}).get(name))
        problems += read_problems
        if raw is None:
            continue
        strip = not source.is_parquet
        frames[name], found, notes = coerce_table(raw.frame, spec, source.label, strip)
        problems += found
        readings[name] = Reading(source, raw.form, tuple(notes))
    if problems:
        raise ContractError(problems)
    problems = validate_frames(frames, contract, {n: s.label for n, s in sources.items()})
    if problems:
        raise ContractError(problems)
    return Extract(
        folder=Path(folder),
        readings=readings,
        firms=frames["firms"],
        links=frames["links"],
        clusters=frames["clusters"],
        labels=frames.get("labels"),
    )


def narrow_spec(spec: TableSpec, wanted: list[str] | None) -> TableSpec:
    """The table's contract restricted to the columns a job reads (all when None)."""
    if wanted is None:
        return spec
    from dataclasses import replace

    return replace(spec, columns=tuple(c for c in spec.columns if c.name in wanted))
