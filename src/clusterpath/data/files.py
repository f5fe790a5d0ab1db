"""Find each table of an extract among the files analysts hold, and read it as raw values.

A table may be a Parquet file, a CSV file in UTF-8 (with or without BOM) or GB18030 (which
includes GBK, as Windows in China saves it), an Excel workbook named after the table, or a
sheet named after it in any workbook of the folder; the forms may be mixed. Reading never
raises: an unreadable file becomes a problem naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clusterpath.data.contract import Contract
from clusterpath.data.errors import Problem

TEXT = pd.StringDtype("pyarrow")  # strings stay in Arrow buffers: no Python object per cell
FILE_SUFFIXES = (".parquet", ".csv")
WORKBOOK = ".xlsx"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class TableSource:
    """Where one table is: a file, and the sheet when the file is a workbook."""

    table: str
    path: Path
    sheet: str | None = None
    shared: bool = False  # the workbook has other sheets: messages name the sheet

    @property
    def label(self) -> str:
        """How messages name it: the file, and the sheet of a workbook with several."""
        return f"{self.path.name} (sheet {self.sheet})" if self.shared else self.path.name

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix.lower() == ".parquet"


@dataclass(frozen=True)
class RawTable:
    """A table as read: raw values (text, or Parquet's own types) and how the file was read."""

    frame: pd.DataFrame
    form: str  # e.g. "Parquet", "CSV, GB18030", "Excel"


def locate_tables(
    folder: Path, contract: Contract
) -> tuple[dict[str, TableSource], list[Problem]]:
    """Find each table's file or sheet; a missing required table, two sources for one table
    or an unreadable workbook is a problem. Files of no table are ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}, [Problem(str(folder), "extract folder not found")]
    names = [t.name for t in contract.tables]
    found: dict[str, list[TableSource]] = {name: [] for name in names}
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("~$", ".")) or not path.is_file():
            continue  # Office lock files and hidden files
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if suffix in FILE_SUFFIXES and stem in found:
            found[stem].append(TableSource(stem, path))
        elif suffix == WORKBOOK:
            sources, trouble = workbook_tables(path, names)
            problems += trouble
            for source in sources:
                found[source.table].append(source)
        elif suffix == ".xls" and stem in found:
            problems.append(Problem(path.name, "old Excel format: save it as .xlsx or CSV"))
    labelled = {name: [(s.label, s) for s in sources] for name, sources in found.items()}
    located, trouble = one_source_each(labelled, contract, str(folder), MISSING_WHERE)
    return located, problems + trouble


MISSING_WHERE = "{name}.parquet, .csv or .xlsx, or a sheet {name} in a workbook"


def one_source_each(
    found: dict[str, list[tuple[str, object]]], contract: Contract, folder: str, where: str
) -> tuple[dict[str, object], list[Problem]]:
    """Each table's one source among the (label, source) pairs found for it: two are
    ambiguous, none is a missing table if the contract requires it (``where`` says, with
    ``{name}``, what was looked for)."""
    located, problems = {}, []
    for spec in contract.tables:
        sources = found.get(spec.name, [])
        if len(sources) > 1:
            both = " and ".join(label for label, _ in sources)
            problems.append(Problem(folder, f"ambiguous table {spec.name}: both {both}"))
        elif sources:
            located[spec.name] = sources[0][1]
        elif spec.required:
            looked = where.format(name=spec.name)
            problems.append(Problem(folder, f"missing table {spec.name} ({looked})"))
    return located, problems


def workbook_tables(path: Path, tables: list[str]) -> tuple[list[TableSource], list[Problem]]:
    """The tables a workbook holds: its sheets named after a table; a workbook named after a
    table with a single sheet holds that table whatever the sheet is called."""
    try:
        sheets = sheet_names(path)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [Problem(path.name, f"cannot be read as an Excel workbook: {_first_line(exc)}")]
    shared = len(sheets) > 1
    named = [
        TableSource(sheet.strip().lower(), path, sheet, shared)
        for sheet in sheets
        if sheet.strip().lower() in tables
    ]
    stem = path.stem.lower()
    if named or stem not in tables:
        return named, []
    if len(sheets) == 1:
        return [TableSource(stem, path, sheets[0])], []
    listed = ", ".join(sheets)
    return [], [Problem(path.name, f"no sheet named {stem} (sheets: {listed})")]


def sheet_names(path: Path) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def read_raw(
    source: TableSource, columns: list[str] | None = None
) -> tuple[RawTable | None, list[Problem]]:
    """Read one table, turning unreadable files into problems rather than tracebacks."""
    try:
        if source.is_parquet:
            return RawTable(_read_parquet(source.path, columns), "Parquet"), []
        if source.sheet is not None:
            return RawTable(_read_sheet(source, columns), "Excel"), []
        return _read_csv(source.path, columns)
    except pd.errors.EmptyDataError:
        return None, [Problem(source.label, "file is empty (no header)")]
    except Exception as exc:  # a damaged file: pyarrow, the CSV parser, openpyxl, the OS
        return None, [Problem(source.label, f"cannot be read: {_first_line(exc)}")]


def _read_parquet(path: Path, columns: list[str] | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    present = pq.read_schema(path).names
    wanted = [c for c in present if columns is None or c in columns]
    return pq.read_table(path, columns=wanted).to_pandas(types_mapper=_arrow_strings)


def _arrow_strings(arrow_type):
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return TEXT
    return None


def _wanted(frame: pd.DataFrame, columns: list[str] | None) -> pd.DataFrame:
    return frame if columns is None else frame[[c for c in frame.columns if c in columns]]


def _read_sheet(source: TableSource, columns: list[str] | None) -> pd.DataFrame:
    """A sheet's cells as text (numbers as Python writes them: exact for the 15 digits a
    workbook keeps); empty cells are missing."""
    frame = pd.read_excel(
        source.path,
        sheet_name=source.sheet,
        engine="openpyxl",
        dtype=object,
        keep_default_na=False,
        na_values=[""],
    )
    frame.columns = [str(c) for c in frame.columns]
    return _wanted(frame, columns).astype(TEXT)


def _read_csv(path: Path, columns: list[str] | None) -> tuple[RawTable | None, list[Problem]]:
    """Read a CSV file as text, in UTF-8 if it decodes strictly, else in GB18030."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(UTF16_BOMS):
        return None, [Problem(path.name, "not UTF-8 or GB18030 text (UTF-16: save as CSV UTF-8)")]
    try:
        frame = _parse_csv(path, "utf-8-sig")
        form = "CSV, UTF-8 with BOM" if head.startswith(UTF8_BOM) else "CSV, UTF-8"
    except UnicodeDecodeError as exc:
        try:
            frame, form = _parse_csv(path, "gb18030"), "CSV, GB18030"
        except UnicodeDecodeError:
            message = f"not UTF-8 or GB18030 text (bad byte at offset {exc.start})"
            return None, [Problem(path.name, message)]
    return RawTable(_wanted(frame, columns), form), []


def _parse_csv(path: Path, encoding: str) -> pd.DataFrame:
    # Every column is read: with ``usecols`` pandas skips its check that no line has more
    # fields than the header, and a ragged line (a stray comma) would pass unnoticed.
    return pd.read_csv(
        path,
        dtype=TEXT,
        keep_default_na=False,
        na_values=[""],
        encoding=encoding,
        encoding_errors="strict",
    )
