"""An extract read by Spark where it lies, and checked there against the contract.

Each table (``firms.parquet`` or ``firms.csv``: a file, or a folder of part files as Spark
writes them) is read with ``spark.read`` from any location Hadoop can open (a local path,
``hdfs://``, ``s3a://``...). CSV text is UTF-8 or GB18030, told apart from the first bytes of
the file as the embedded reader would; Excel workbooks are refused with a message saying
how to convert them. Nothing comes back to the driver but counts and, when a rule fails,
the first few rows and values for the message.

The checks are those of ``data/sql_checks.py`` spoken in Spark's dialect, raising the same
``ContractError``. What the DuckDB path leaves to pandas (CSV text, a Parquet column stored
with another type) is converted here in SQL by the reader's rules: blanks around CSV cells
dropped, numbers parsed, true/false words, with the reader's messages when text does not
convert.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from clusterpath.data.contract import ColumnSpec, Contract
from clusterpath.data.errors import Problem
from clusterpath.data.files import UTF16_BOMS, locate_tables, one_source_each
from clusterpath.data.readers import FALSE_WORDS, TRUE_WORDS, fingerprint_files
from clusterpath.data.sql_checks import (
    ROW,
    SPARK,
    STRUCTURE,
    ParquetTable,
    Rule,
    check_tables,
    code_rewrites,
    column_sql,
)
from clusterpath.data.validation import NOT_A_NUMBER, NOT_TRUE_FALSE
from clusterpath.spark.session import fit_to_input

TEXT_PREFIX = "_text_"  # a converted column's text as written, for messages
SNIFF_BYTES = 1 << 16  # how much of a CSV file decides its encoding
SPARK_FORMATS = (".parquet", ".csv")
MONO = "_mono"
KEY = "_key"  # a distinct number per firms row (``with_firm_keys``)
PARTITION_BITS = 33  # monotonically_increasing_id: partition index above, position below


class SparkSql:
    """The slice of a DuckDB connection the checks use, answered by Spark SQL."""

    def __init__(self, spark) -> None:
        self.spark = spark

    def execute(self, sql: str) -> SparkResult:
        return SparkResult(self.spark.sql(sql))


@dataclass(frozen=True)
class SparkResult:
    frame: object

    def fetchone(self) -> tuple:
        row = self.frame.first()
        return tuple(row) if row is not None else None

    def df(self) -> pd.DataFrame:
        return self.frame.toPandas()

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.frame.collect()]

    def fetchnumpy(self) -> dict:
        frame = self.df()
        return {c: frame[c].to_numpy() for c in frame.columns}


class HadoopPath:
    """A file or folder as Hadoop's FileSystem sees it (a table may be a folder of part
    files), with what locating, sniffing and fingerprinting tables needs."""

    def __init__(self, spark, uri: str) -> None:
        self.spark, self.uri = spark, uri
        jvm = spark.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path(uri)
        self._fs = self._path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self._head: bytes | None = None

    def __str__(self) -> str:
        return self.uri

    @property
    def name(self) -> str:
        return PurePosixPath(self.uri.rstrip("/")).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    def is_dir(self) -> bool:
        return bool(
            self._fs.exists(self._path) and self._fs.getFileStatus(self._path).isDirectory()
        )

    def children(self) -> list[HadoopPath]:
        """The entries of this folder, by name."""
        return sorted(
            (
                HadoopPath(self.spark, str(s.getPath().toString()))
                for s in self._fs.listStatus(self._path)
            ),
            key=lambda p: p.name,
        )

    def head(self) -> bytes:
        """The first bytes of this file, or of the first part file of this folder (read
        once: they decide a CSV file's encoding and give its header)."""
        if self._head is None:
            self._head = self._read_head(SNIFF_BYTES)
        return self._head

    def _read_head(self, size: int) -> bytes:
        first = (
            self
            if not self.is_dir()
            else next((p for p in self.children() if not p.name.startswith(("_", "."))), None)
        )
        if first is None:
            return b""
        stream = first._fs.open(first._path)
        try:
            return bytes(stream.readNBytes(size))
        finally:
            stream.close()

    def local_folder(self) -> Path | None:
        """The local folder behind this location, if it is one on this machine."""
        if self._path.toUri().getScheme() not in (None, "file") or not self.is_dir():
            return None
        return Path(self._path.toUri().getPath())

    def local(self) -> Path | None:
        """The local file behind this location, if it is one plain file on this machine."""
        if self._path.toUri().getScheme() not in (None, "file") or self.is_dir():
            return None
        return Path(self._path.toUri().getPath())

    def statuses(self) -> list[tuple[str, int, int]]:
        """(name, length, modification time) of every file under this location."""
        files = self._fs.listFiles(self._path, True)
        found = []
        while files.hasNext():
            status = files.next()
            found.append(
                (str(status.getPath().getName()), status.getLen(), status.getModificationTime())
            )
        return sorted(found)


def fingerprint(locations: list[HadoopPath]) -> str:
    """The content hash the embedded job gives plain local files; elsewhere (HDFS, object
    stores, folders of parts) a hash of each file's name, length and modification time,
    since reading a cluster's whole extract back to the driver is what Spark is to avoid."""
    local = [loc.local() for loc in locations]
    if all(path is not None for path in local):
        return fingerprint_files(local)
    digest = hashlib.sha256()
    for loc in sorted(locations, key=lambda loc: loc.name):
        digest.update(repr((loc.name, loc.statuses())).encode())
    return digest.hexdigest()[:16]


def _kind_fits(kind: str, data_type) -> bool:
    from pyspark.sql import types as T

    if kind == "string":
        return isinstance(data_type, T.StringType)
    if kind == "int":
        return isinstance(data_type, T.IntegralType)
    if kind == "float":
        return isinstance(data_type, T.NumericType)
    return isinstance(data_type, T.BooleanType)


def csv_encoding(head: bytes) -> str | None:
    """UTF-8 if the file's first bytes decode strictly as UTF-8 (a character cut at the end
    aside), GB18030 otherwise, None for UTF-16; the embedded reader's choice, made on a
    sample because the file may be far larger than the driver."""
    if head.startswith(UTF16_BOMS):
        return None
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=False)
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def locate(spark, location: str, contract: Contract) -> tuple[dict, list[Problem]]:
    """Each table's location (a file or a folder of parts) and CSV encoding, listed through
    Hadoop's file system; in a local folder, sheets of workbooks are found as the embedded
    reader finds them, to be refused by name."""
    root = HadoopPath(spark, location)
    places, problems = _listed(root, contract, _workbook_sheets(root, contract))
    found = {}
    for name, (label, place) in places.items():
        if place is None:
            problems.append(Problem(label, EXCEL_REFUSED))
        elif place.suffix.lower() == ".parquet":
            found[name] = (place, None)
        elif (encoding := csv_encoding(place.head())) is None:
            problems.append(
                Problem(label, "not UTF-8 or GB18030 text (UTF-16: save as CSV UTF-8)")
            )
        else:
            found[name] = (place, encoding)
    return found, problems


EXCEL_REFUSED = (
    "an Excel workbook: --engine spark reads Parquet and CSV; save the sheet as CSV "
    "(UTF-8 or GB18030) or Parquet, or use the embedded engine"
)


def _workbook_sheets(root: HadoopPath, contract: Contract) -> dict[str, str] | None:
    """Tables that a local folder holds in workbooks, as messages name them; None for a
    location elsewhere, whose workbooks are not opened (one named after a table counts)."""
    local = root.local_folder()
    if local is None:
        return None
    sources, _ = locate_tables(local, contract)
    return {name: s.label for name, s in sources.items() if s.sheet is not None}


def _listed(
    root: HadoopPath, contract: Contract, sheets: dict[str, str] | None
) -> tuple[dict, list[Problem]]:
    """Each table's (label, location): ``<table>.parquet`` or ``.csv`` in any case (a file or
    a folder of parts), or a workbook sheet (location None, to be refused)."""
    if not root.is_dir():
        return {}, [Problem(str(root), "extract folder not found")]
    names = {t.name for t in contract.tables}
    readable = SPARK_FORMATS if sheets is not None else (*SPARK_FORMATS, ".xlsx")
    found: dict[str, list[tuple[str, HadoopPath | None]]] = {}
    for child in root.children():
        stem, suffix = PurePosixPath(child.name).stem.lower(), child.suffix.lower()
        if stem in names and suffix in readable:
            found.setdefault(stem, []).append((child.name, None if suffix == ".xlsx" else child))
    for name, label in (sheets or {}).items():
        found.setdefault(name, []).append((label, None))
    # a table's place is its (label, location) pair: the label names a refused workbook
    labelled = {name: [(hit[0], hit) for hit in hits] for name, hits in found.items()}
    return one_source_each(labelled, contract, str(root), "{name}.parquet or {name}.csv")


def csv_header(head: bytes, encoding: str) -> list[str] | None:
    """The column names of a CSV file from its first bytes, as Spark would read them (blanks
    around names dropped), or None when Spark must read them itself: a header running past
    the sample, or names that are empty, repeated or broken over lines, which Spark
    renames or cuts."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    text = text.lstrip("\ufeff")
    lines = io.StringIO(text, newline="")
    names = [n.strip() for n in next(csv.reader(lines), [])]
    complete = lines.tell() < len(text) or len(head) < SNIFF_BYTES
    folded = {n.lower() for n in names}
    broken = any("\n" in n or "\r" in n for n in names)
    if not names or not complete or broken or "" in folded or len(folded) < len(names):
        return None
    return names


def csv_reader(spark, encoding: str | None):
    """Spark's CSV reader set as the frame reader reads CSV: a header row, doubled quotes,
    blanks around cells dropped, in ``encoding``."""
    return (
        spark.read.option("header", True)
        .option("escape", '"')
        .option("encoding", encoding)
        .option("ignoreLeadingWhiteSpace", True)
        .option("ignoreTrailingWhiteSpace", True)
    )


def read_table(spark, location: HadoopPath, encoding: str | None):
    """The table's rows as written: Parquet with its stored types, CSV as text (blanks around
    cells dropped, as the frame reader does), the header's byte-order mark removed. A CSV
    file's header is taken from the bytes that decided its encoding, so Spark need not run a
    job to read it."""
    if location.suffix.lower() == ".parquet":
        return spark.read.parquet(location.uri)
    reader = csv_reader(spark, encoding)
    names = csv_header(location.head(), encoding)
    if names is not None:
        schema = ", ".join(f"{SPARK.quote(n)} STRING" for n in names)
        return reader.schema(schema).csv(location.uri)
    frame = reader.csv(location.uri)
    return frame.toDF(*(c.lstrip("\ufeff") for c in frame.columns))


def with_positions(frame):
    """Add ``_row``: each row's 0-based position in the file, reading order across parts.

    Only messages read it, so it costs nothing in a clean extract: a query that does read it
    numbers the rows in reading order (``monotonically_increasing_id``: the partition, then
    the row within it) in one task."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.orderBy(MONO)
    frame = frame.withColumn(MONO, F.monotonically_increasing_id())
    return frame.withColumn(ROW, (F.row_number().over(order) - 1).cast("long")).drop(MONO)


def with_firm_keys(frame):
    """Add ``_key``: a number per row, distinct and fitting an INT, with no pass over the
    rows: the partition's share of the INT range plus the row's place in the partition
    (a query stops, rather than repeat a number, should a partition outgrow its share)."""
    from pyspark.sql import functions as F

    share = (2**31 - 1) // max(1, frame.rdd.getNumPartitions())
    mono = F.col(MONO)
    within = mono.bitwiseAND(F.lit((1 << PARTITION_BITS) - 1))
    key = F.when(within < share, F.shiftright(mono, PARTITION_BITS) * share + within)
    key = key.otherwise(F.raise_error(F.lit("a partition holds too many rows to number")))
    frame = frame.withColumn(MONO, F.monotonically_increasing_id())
    return frame.withColumn(KEY, key).drop(MONO)


def _text_sql(col: ColumnSpec, source: str) -> str:
    """A column held as text, converted to the contract's kind by the reader's rules."""
    words = SPARK.literal
    if col.kind == "bool":
        lowered = f"lower(trim({source}))"
        true = ", ".join(words(w) for w in sorted(TRUE_WORDS))
        false = ", ".join(words(w) for w in sorted(FALSE_WORDS))
        return (
            f"CASE WHEN {lowered} IN ({true}) THEN TRUE WHEN {lowered} IN ({false}) THEN FALSE END"
        )
    number = f"TRY_CAST({source} AS DOUBLE)"
    if col.kind == "int":
        return f"CASE WHEN {number} % 1 = 0 THEN TRY_CAST({number} AS BIGINT) END"
    return number


def conversion_rules(table: ParquetTable, converted: tuple[str, ...]) -> list[Rule]:
    """Text that is not a number, a whole number or a true/false word, as the reader says."""
    rules = []
    for name in converted:
        col = table.spec.column(name)
        text = SPARK.quote(TEXT_PREFIX + name)
        if col.kind == "bool":
            failing = f"{text} IS NOT NULL AND {SPARK.quote(name)} IS NULL"
            rules.append(Rule(STRUCTURE, name, failing, check=NOT_TRUE_FALSE, value=text))
            continue
        number = f"TRY_CAST({text} AS DOUBLE)"
        failing = f"{text} IS NOT NULL AND ({number} IS NULL OR isnan({number}))"
        rules.append(Rule(STRUCTURE, name, failing, check=NOT_A_NUMBER, value=text))
        if col.kind == "int":
            rules.append(Rule(STRUCTURE, name, f"{number} % 1 <> 0", "not a whole number"))
    return rules


@dataclass(frozen=True)
class SparkTable:
    """A table's checked view and which of its columns were converted from text."""

    table: ParquetTable
    location: HadoopPath
    converted: tuple[str, ...]


def open_table(spark, name: str, location: HadoopPath, encoding: str | None, spec) -> SparkTable:
    """Create ``checked_<name>``: the columns read, typed as the contract says, and ``_row``;
    and ``values_<name>``, the same without ``_row``, for subqueries (Spark refuses a
    non-deterministic plan inside an aggregate's subquery)."""
    raw = read_table(spark, location, encoding)
    types = {f.name: f.dataType for f in raw.schema.fields}
    columns = [c for c in spec.columns if c.name in types]
    converted = tuple(c.name for c in columns if not _kind_fits(c.kind, types[c.name]))
    raw.select(*(c.name for c in columns)).createOrReplaceTempView(f"raw_{name}")
    typed = []
    for col in columns:
        quoted = SPARK.quote(col.name)
        if col.name in converted:
            text = f"CAST({quoted} AS STRING)"
            typed += [f"{text} AS {SPARK.quote(TEXT_PREFIX + col.name)}"]
            typed += [f"{_text_sql(col, text)} AS {quoted}"]
        else:
            typed.append(quoted)
    typed_sql = f"SELECT {', '.join(typed)} FROM raw_{name}"
    spark.sql(typed_sql).createOrReplaceTempView(f"typed_{name}")
    table = ParquetTable(
        name,
        PurePosixPath(location.name),
        spec,
        tuple(c.name for c in columns),
        SPARK,
        values_view=f"values_{name}",
    )
    texts = [SPARK.quote(TEXT_PREFIX + c) for c in converted]
    con = SparkSql(spark)
    source = f"typed_{name}"
    checked = [column_sql(c, SPARK, code_rewrites(con, source, c, SPARK)) for c in columns]
    checked += texts
    values = spark.sql(f"SELECT {', '.join(checked)} FROM typed_{name}")
    values.createOrReplaceTempView(table.values)
    with_positions(values).createOrReplaceTempView(table.view)
    return SparkTable(table, location, converted)


@dataclass(frozen=True)
class SparkExtract:
    """An extract's tables with their views, as ``read_extract`` leaves them: not checked."""

    tables: list[ParquetTable]
    fingerprint: str
    converted: dict[str, tuple[str, ...]]  # per table, the columns converted from text

    def read_rules(self, table: ParquetTable) -> list[Rule]:
        """A table's rules on reading itself, for ``sql_checks.check_tables``."""
        return conversion_rules(table, self.converted[table.name])

    def check(self, spark) -> None:
        """Every contract check, each table read on its own. Raises ContractError."""
        check_tables(SparkSql(spark), self.tables, self.read_rules)


def read_extract(
    spark, location: str, contract: Contract, columns: dict[str, list[str]]
) -> SparkExtract:
    """Give every table of the extract at ``location`` its views (``open_table``), sizing
    the session's shuffles to the files; raise ContractError if tables are not found."""
    from clusterpath.data.errors import ContractError
    from clusterpath.data.readers import narrow_spec

    files, problems = locate(spark, location, contract)
    if problems:
        raise ContractError(problems)
    fit_to_input(spark, sum(n for place, _ in files.values() for _, n, _ in place.statuses()))
    opened = {
        name: open_table(
            spark, name, place, encoding, narrow_spec(contract.table(name), columns.get(name))
        )
        for name, (place, encoding) in files.items()
    }
    return SparkExtract(
        [t.table for t in opened.values()],
        fingerprint([t.location for t in opened.values()]),
        {name: t.converted for name, t in opened.items()},
    )


def open_extract(
    spark, location: str, contract: Contract, columns: dict[str, list[str]]
) -> tuple[list[ParquetTable], str]:
    """Give every table of the extract at ``location`` a checked view and run the contract's
    checks; return the tables and the extract's fingerprint. Raises ContractError."""
    extract = read_extract(spark, location, contract, columns)
    extract.check(spark)
    return extract.tables, extract.fingerprint


def key_firms(spark, firms: ParquetTable) -> tuple[str, str]:
    """A view of the firms with a distinct INT per row (``with_firm_keys``), for the stages
    to name firm-years by; the view's name and the column's."""
    view = f"keyed_{firms.name}"
    with_firm_keys(spark.table(firms.values)).createOrReplaceTempView(view)
    return view, KEY
