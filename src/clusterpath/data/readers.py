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

from clusterpath.data.contract import ColumnSpec, Contract, TableSpec, build_contract
from clusterpath.data.errors import (
    NOT_FINITE,
    REQUIRED_MISSING,
    ContractError,
    Problem,
    rows_of,
)
from clusterpath.data.reference import Reference, load_reference

SUFFIXES = (".parquet", ".csv")
TEXT = pd.StringDtype("pyarrow")  # strings stay in Arrow buffers: no Python object per cell
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


@dataclass(frozen=True)
class Extract:
    """A validated extract: one frame per contract table (labels may be absent)."""

    folder: Path
    files: dict[str, Path]
    firms: pd.DataFrame
    links: pd.DataFrame
    clusters: pd.DataFrame
    labels: pd.DataFrame | None

    @property
    def fingerprint(self) -> str:
        return fingerprint_files(self.files.values())


def fingerprint_files(paths: Iterable[Path]) -> str:
    """Hash the content of the given files (in name order), so outputs can name their input."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def locate_tables(folder: Path, contract: Contract) -> tuple[dict[str, Path], list[Problem]]:
    """Find each table's file; a missing required table or two files for one table is a problem."""
    folder = Path(folder) if isinstance(folder, str) else folder  # or a Hadoop location
    if not folder.is_dir():
        return {}, [Problem(str(folder), "extract folder not found")]
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for spec in contract.tables:
        candidates = [
            folder / f"{spec.name}{s}" for s in SUFFIXES if (folder / f"{spec.name}{s}").is_file()
        ]
        if len(candidates) > 1:
            names = " and ".join(p.name for p in candidates)
            problems.append(Problem(str(folder), f"ambiguous table {spec.name}: both {names}"))
        elif candidates:
            found[spec.name] = candidates[0]
        elif spec.required:
            problems.append(
                Problem(str(folder), f"missing table {spec.name} ({spec.name}.parquet or .csv)")
            )
    return found, problems


def _arrow_strings(arrow_type):
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT
    return None


def _read_file(path: Path, columns: list[str] | None) -> pd.DataFrame:
    """Read the wanted columns of a Parquet or CSV file, as raw values (CSV as text)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        present = pq.read_schema(path).names
        wanted = [c for c in present if columns is None or c in columns]
        return pq.read_table(path, columns=wanted).to_pandas(types_mapper=_arrow_strings)
    # Every column is read: with ``usecols`` pandas skips its check that no line has more
    # fields than the header, and a ragged line (a stray comma) would pass unnoticed.
    frame = pd.read_csv(
        path, dtype=TEXT, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
    )
    return frame if columns is None else frame[[c for c in frame.columns if c in columns]]


def read_raw(
    path: Path, columns: list[str] | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one table file, turning unreadable files into problems rather than tracebacks."""
    try:
        return _read_file(path, columns), []
    except UnicodeDecodeError as exc:
        return None, [Problem(path.name, f"not UTF-8 text (bad byte at offset {exc.start})")]
    except pd.errors.EmptyDataError:
        return None, [Problem(path.name, "file is empty (no header)")]
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return None, [Problem(path.name, f"cannot be read: {detail}")]


def _coerce_string(values: pd.Series, spec: ColumnSpec, strip: bool) -> pd.Series:
    """Text as the contract reads it: CSV cells lose surrounding blanks (hand-edited text),
    Parquet text is taken as written (as the SQL checks of large Parquet extracts take it);
    empty text is missing either way."""
    if not isinstance(values.dtype, pd.StringDtype):
        if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            values = values.astype("Int64")
        values = values.astype(TEXT)
    out = values.str.strip() if strip else values
    out = out.mask(out == "")
    if spec.name == "industry_code":
        short = (out.str.len() == 1) & out.str.isdigit()
        out = out.mask(short.fillna(False), "0" + out)
    return out


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
    frame: pd.DataFrame, spec: TableSpec, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Give each contract column its contract type; report columns missing or unconvertible.

    ``file`` is the file's name: text is stripped only when it is a CSV file."""
    problems: list[Problem] = []
    frame = frame.reset_index(drop=True)
    for col in spec.columns:
        if col.name not in frame.columns:
            if col.required:
                problems.append(Problem(file, REQUIRED_MISSING, col.name))
            continue
        values = frame[col.name]
        if col.kind == "string":
            frame[col.name] = _coerce_string(values, col, strip=file.endswith(".csv"))
            continue
        coerce = _coerce_bool if col.kind == "bool" else _coerce_number
        frame[col.name], found = coerce(values, col, file)
        problems.extend(found)
    return frame, problems


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
    files, problems = locate_tables(Path(folder), contract)
    frames: dict[str, pd.DataFrame] = {}
    for name, path in files.items():
        spec = contract.table(name)
        wanted = (columns or {}).get(name)
        raw, read_problems = read_raw(path, wanted)
        problems += read_problems
        if raw is not None:
            frames[name], coerce_problems = coerce_table(raw, narrow_spec(spec, wanted), path.name)
            problems += coerce_problems
    if problems:
        raise ContractError(problems)
    problems = validate_frames(frames, contract, {n: p.name for n, p in files.items()})
    if problems:
        raise ContractError(problems)
    return Extract(
        folder=Path(folder),
        files=files,
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
