"""A Spark session that cannot hang the command that started it.

pyspark talks to a JVM over sockets. When that JVM dies (out of memory, killed), a Python
thread waiting on one of those sockets may wait forever. So the JVM is started here with
``-XX:+ExitOnOutOfMemoryError`` (an exhausted heap ends the JVM instead of leaving it
half-alive), and a watchdog thread waits on the JVM's process: if it ends while the session
is in use, the command ends too, with one line naming the cause, within seconds.

The JVM's own output (log4j lines, Java stack traces) goes to a log file rather than the
user's terminal; ``CLUSTERPATH_SPARK_LOG`` names that file, or ``-`` to show it.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

LOG_ENV = "CLUSTERPATH_SPARK_LOG"
CONF_ENV = "CLUSTERPATH_SPARK_CONF"  # key=value pairs separated by blanks
EXIT_SPARK_FAILED = 1
GRACE_SECONDS = 5.0  # time the main thread gets to report a dead JVM itself
JAVA_OPTIONS = "-XX:+ExitOnOutOfMemoryError"
# For a small input in local mode, the JVM compiles with its quick compiler only: on the
# 4-row fixture that halved the CPU time (65 s to 36 s), but it made 1.4M firm-rows take
# 372 s instead of 201 s, so it is for inputs known to be small.
QUICK_COMPILER = "-XX:TieredStopAtLevel=1"
# In local mode one JVM does all the work in batches: the throughput collector cost 9-13 %
# less CPU than the default G1 on the fixture and at 1.4M firm-rows.
LOCAL_COLLECTOR = "-XX:+UseParallelGC"
# In local mode the JIT's optimising compiler shares the two or so cores with the tasks, and
# every stage brings new generated classes for it: at 1.4M firm-rows it used 30 of 100
# CPU-seconds. Compiling only methods run ten times as often as by default halved that and
# kept the tasks' own time (100 to 85 CPU-seconds in all); inlining less deeply and only
# smaller methods (9 levels, 1000 bytes) saved 6-7 CPU-seconds more of it, the tasks
# unchanged (at 6 levels and 500 bytes the tasks slowed).
LOCAL_JIT = (
    "-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=20000 "
    "-XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000 "
    "-XX:MaxInlineLevel=9 -XX:InlineSmallCode=1000"
)
SMALL_INPUT_BYTES = 16 * 2**20
# On a cluster, adaptive execution from this size on (below it, re-planning costs more than
# it saves); in local mode never: at 1.4M firm-rows it cost 15 % more CPU, since every
# stage is kept with its true size and the shuffles are sized from the input already.
ADAPTIVE_FROM_BYTES = SMALL_INPUT_BYTES
# For a small input, expressions are interpreted rather than compiled to Java and compiled
# again by Janino: each query's few rows never repay the compilation (fixture: 30 to 23
# CPU-seconds). Spark marks the factory mode as internal; its interpreted path is the one
# it falls back on whenever compiling fails.
SMALL_INPUT_SQL = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}
BYTES_PER_PARTITION = 32 * 2**20
FIXED = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.log.level": "WARN",
    # Spark 4 reads CSV only in a few Unicode charsets unless told to accept Java's own,
    # and GB18030 is how spreadsheets in China save text
    "spark.sql.legacy.javaCharsets": "true",
}


@dataclass(frozen=True)
class SparkOptions:
    """Where Spark runs and the settings the user gave (``--spark-master``, ``--spark-conf``)."""

    master: str = "local[2]"
    conf: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_command_line(cls, master: str, pairs: Sequence[str]) -> SparkOptions:
        return cls(master, tuple(parse_conf(pairs, "--spark-conf").items()))

    def start(self, input_bytes: int | None = None) -> GuardedSession:
        """A session for an input of this size, if known (``local_bytes``)."""
        small = input_bytes is not None and input_bytes < SMALL_INPUT_BYTES
        return start_session(self.master, dict(self.conf), small_input=small)


class SparkFailure(RuntimeError):
    """Spark could not finish the work (JVM dead, job aborted, master unreachable)."""


class SparkMissing(RuntimeError):
    """PySpark, an optional extra, is not installed: the command asked for what is not there."""


INSTALL_SPARK = "pip install 'clusterpath[spark]' (in a checkout: uv sync --extra spark)"


def require_pyspark() -> None:
    """Say how to install PySpark when it is absent, before any Spark work starts."""
    try:
        import pyspark  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name not in ("pyspark", "py4j"):
            raise
        raise SparkMissing(
            f"the Spark engine needs PySpark, which is not installed: {INSTALL_SPARK}"
        ) from None


def machine_memory_mib() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def default_conf(master: str, small_input: bool = False) -> dict[str, str]:
    """Settings a new user should not have to know: a heap sized for this machine (a quarter
    of its memory, as the embedded engine's cap; in local mode the executors live in the
    driver's JVM), in local mode the throughput collector and broadcasts up to 1/32 of the
    heap, for a small input in local mode the quick compiler and no generated code, and
    quiet logs. Shuffles are sized for the input once its files are found
    (``fit_to_input``)."""
    quarter = max(1024, machine_memory_mib() // 4)
    local = master.startswith("local")
    driver_java = JAVA_OPTIONS
    if local:
        driver_java += f" {LOCAL_COLLECTOR} {LOCAL_JIT}"
    if local and small_input:
        driver_java += f" {QUICK_COMPILER}"
    conf = {
        **FIXED,
        **(SMALL_INPUT_SQL if local and small_input else {}),
        "spark.driver.memory": f"{quarter}m",
        "spark.driver.extraJavaOptions": driver_java,
        "spark.executor.extraJavaOptions": JAVA_OPTIONS,
    }
    if local:
        # the executors share the driver's heap, so a broadcast table is not sent anywhere:
        # joining the links to a million firm-years by hash beats sorting both sides
        conf["spark.sql.autoBroadcastJoinThreshold"] = f"{quarter // 32}m"
    else:
        conf["spark.executor.memory"] = f"{quarter}m"
    return conf


def local_bytes(location: str) -> int | None:
    """The size of the files under a location on this machine; None elsewhere."""
    if "://" in location and not location.startswith("file://"):
        return None
    root = Path(location.removeprefix("file://"))
    if not root.exists():
        return None
    files = [root] if root.is_file() else [f for f in root.rglob("*") if f.is_file()]
    return sum(f.stat().st_size for f in files)


def sized_conf(input_bytes: int, cores: int, local: bool = False) -> dict[str, str]:
    """Shuffle settings for an input of this size: one partition per 32 MiB read, between
    one and four per core; adaptive execution on a cluster for inputs that are not small,
    where its re-planning of each stage pays for itself (on the 4-row fixture it cost
    10-20 s), and never in local mode (``ADAPTIVE_FROM_BYTES``)."""
    wanted = -(-input_bytes // BYTES_PER_PARTITION)
    adaptive = not local and input_bytes >= ADAPTIVE_FROM_BYTES
    return {
        "spark.sql.adaptive.enabled": str(adaptive).lower(),
        "spark.sql.shuffle.partitions": str(min(max(1, wanted), 4 * max(1, cores))),
    }


def fit_to_input(spark, input_bytes: int) -> None:
    """Apply ``sized_conf`` to the session, except settings the user gave when it started
    (``--spark-conf``, ``CLUSTERPATH_SPARK_CONF``)."""
    context = spark.sparkContext
    given = context.getConf()
    local = context.master.startswith("local")
    for key, value in sized_conf(input_bytes, context.defaultParallelism, local).items():
        if not given.contains(key):
            spark.conf.set(key, value)


def parse_conf(pairs: Sequence[str], source: str) -> dict[str, str]:
    """``key=value`` items into a dict; a malformed item is a ValueError naming ``source``."""
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().startswith("spark."):
            raise ValueError(f"{source}: expected spark.KEY=VALUE, got {pair!r}")
        conf[key.strip()] = value.strip()
    return conf


def session_conf(
    master: str, overrides: Mapping[str, str] = (), small_input: bool = False
) -> dict[str, str]:
    """Defaults, then ``CLUSTERPATH_SPARK_CONF``, then the command line's ``--spark-conf``.

    Java options are added to, not replaced, so the out-of-memory exit always holds."""
    conf = default_conf(master, small_input)
    layers = [parse_conf(os.environ.get(CONF_ENV, "").split(), CONF_ENV), dict(overrides)]
    for layer in layers:
        for key, value in layer.items():
            if key.endswith("extraJavaOptions") and JAVA_OPTIONS not in value:
                value = f"{value} {JAVA_OPTIONS}".strip()
            conf[key] = value
    return conf


def check_master_reachable(master: str, timeout: float = 5.0) -> None:
    """Fail in seconds on a standalone master nobody answers at (Spark itself retries for a
    minute before giving up)."""
    if not master.startswith("spark://"):
        return
    for hostport in master[len("spark://") :].split(","):
        parsed = urlparse(f"spark://{hostport}")
        try:
            with socket.create_connection((parsed.hostname, parsed.port or 7077), timeout):
                return
        except OSError:
            continue
    raise SparkFailure(f"Spark master {master} is unreachable")


@dataclass
class Watchdog:
    """Waits on the JVM's process; ends this Python process if the JVM dies while in use."""

    process: object
    log: Path | None
    stopping: threading.Event = field(default_factory=threading.Event)
    reported: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        watcher = threading.Thread(target=self._watch, name="spark-watchdog", daemon=True)
        watcher.start()

    def _watch(self) -> None:
        code = self.process.wait()
        if self.stopping.is_set():
            return
        if self.reported.wait(GRACE_SECONDS) or self.stopping.is_set():
            # the main thread said it; give it a moment to exit on its own
            if self.stopping.wait(GRACE_SECONDS):
                return
        else:
            sys.stderr.write(f"error: {jvm_death(code, self.log)}\n")
            sys.stderr.flush()
        os._exit(EXIT_SPARK_FAILED)

    @property
    def dead(self) -> bool:
        return self.process.poll() is not None


def jvm_death(code: int | None, log: Path | None) -> str:
    """One line on why the JVM ended, from the last Java error its log names."""
    cause = last_java_error(log)
    text = "Spark's JVM stopped answering"  # still exiting
    if code is not None:
        text = f"Spark's JVM ended (exit code {code})"
    if cause:
        text += f": {cause}"
    if "OutOfMemoryError" in (cause or ""):
        text += "; give it more memory, e.g. --spark-conf spark.driver.memory=8g"
    if log is not None:
        text += f" (log: {log})"
    return text


JAVA_ERROR = re.compile(r"(java\.lang\.\w*(?:Error|Exception)[^\n]*)")


def last_java_error(log: Path | None) -> str:
    if log is None or not log.is_file():
        return ""
    with log.open("rb") as fh:
        fh.seek(max(0, log.stat().st_size - 200_000))
        tail = fh.read().decode("utf-8", errors="replace")
    found = JAVA_ERROR.findall(tail)
    oom = [f for f in found if "OutOfMemoryError" in f]
    return (oom or found or [""])[-1].strip()[:200]


@dataclass
class GuardedSession:
    """A SparkSession with its JVM's watchdog and log; ``guard()`` turns failures into
    ``SparkFailure`` with one readable line."""

    spark: object
    watchdog: Watchdog | None
    log: Path | None
    owned: bool = True

    @contextmanager
    def guard(self) -> Iterator[None]:
        from clusterpath.data.errors import ContractError

        try:
            yield
        except (ContractError, SparkFailure, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise self.failure(exc) from None

    def failure(self, exc: BaseException) -> SparkFailure:
        return _jvm_failure(exc, self.watchdog, self.log) or SparkFailure(
            f"Spark failed: {first_line(exc)}"
        )

    def stop(self) -> None:
        """End the session; never raise over a failure already reported (this runs in the
        ``finally`` of the command, where an error would hide the one that ended it)."""
        if not self.owned:
            return
        if self.watchdog is not None:
            self.watchdog.stopping.set()
            if self.watchdog.dead or self.watchdog.reported.is_set():
                return
        try:
            self.spark.stop()
        except Exception as exc:
            if not _looks_disconnected(exc):
                raise
        if self.log is not None and self.log.name.startswith("clusterpath-spark-"):
            self.log.unlink(missing_ok=True)


def _looks_disconnected(exc: BaseException) -> bool:
    name = type(exc).__name__
    return "Network" in name or isinstance(exc, (ConnectionError, EOFError, OSError))


PYTHON_ERROR = re.compile(r"^[\w.]*(?:Error|Exception|Failure|Interrupt)\b.*$")


def first_line(exc: BaseException) -> str:
    """The part of a Spark error a user can act on: for a failed Python task, the error its
    traceback ends with; otherwise the first non-empty line."""
    text = str(exc)
    java = getattr(exc, "java_exception", None)
    if java is not None and text.startswith("An error occurred while calling"):
        with suppress(Exception):  # the Java error itself, unless the JVM is gone
            text = str(java.toString())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        raised = [line for line in lines if PYTHON_ERROR.match(line)]
        if raised:
            return raised[-1][:300]
    return lines[0][:300] if lines else type(exc).__name__


def _log_target() -> tuple[Path | None, dict]:
    wanted = os.environ.get(LOG_ENV, "")
    if wanted == "-":
        return None, {}
    if wanted:
        path = Path(wanted)
    else:
        fd, name = tempfile.mkstemp(prefix="clusterpath-spark-", suffix=".log")
        os.close(fd)
        path = Path(name)
    handle = path.open("ab")
    return path, {"stdout": handle, "stderr": handle}


def _quiet_python_loggers() -> None:
    """pyspark logs each failed query as JSON on stderr; the command reports it in one line."""
    if os.environ.get(LOG_ENV) == "-":
        return
    for name in ("SQLQueryContextLogger", "pyspark", "py4j"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def root_log_to(log: Path | None) -> None:
    """py4j reports a dying JVM through the root logger (``logging.exception``), which prints
    a traceback on stderr beside the command's one line; such records go to the Spark log
    instead. Nothing changes where the root logger already has somewhere to write."""
    root = logging.getLogger()
    if log is not None and not root.handlers:
        root.addHandler(logging.FileHandler(log, encoding="utf-8"))


def _worker_environment(master: str) -> None:
    """Workers must run this interpreter (it has pyarrow and the project); stay on loopback."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def start_session(
    master: str = "local[2]",
    conf: Mapping[str, str] = (),
    app_name: str = "clusterpath",
    small_input: bool = False,
) -> GuardedSession:
    """A new SparkSession in a JVM started here (so its output and its death are ours), or
    the active session if this process has one already (tests share one)."""
    require_pyspark()
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    _worker_environment(master)
    _quiet_python_loggers()
    active = SparkSession.getActiveSession()
    if active is not None:
        return GuardedSession(active, None, None, owned=False)
    check_master_reachable(master)
    settings = session_conf(master, conf, small_input)
    spark_conf = SparkConf().setMaster(master).setAppName(app_name).setAll(settings.items())
    log, popen = _log_target()
    root_log_to(log)
    watchdog = None
    try:
        from pyspark.java_gateway import launch_gateway

        gateway = SparkContext._gateway or launch_gateway(spark_conf, popen_kwargs=popen)
        if getattr(gateway, "proc", None) is not None:
            watchdog = Watchdog(gateway.proc, log)
            watchdog.start()
        spark = SparkSession(SparkContext(conf=spark_conf, gateway=gateway))
    except Exception as exc:
        raise _start_failure(exc, watchdog, log) from None
    finally:
        if popen:
            popen["stdout"].close()
    return GuardedSession(spark, watchdog, log)


def _start_failure(exc: Exception, watchdog: Watchdog | None, log: Path | None) -> SparkFailure:
    """A JVM that died while the session was made (a heap too small for Spark's own start)
    says why, as it would later; any other error is a failure to start. Either way the
    command reports it, so the watchdog is told to stay quiet."""
    failure = _jvm_failure(exc, watchdog, log)
    if watchdog is not None:
        watchdog.stopping.set()
    return failure or SparkFailure(f"Spark did not start: {first_line(exc)}" + _log_hint(log))


def _jvm_failure(
    exc: BaseException, watchdog: Watchdog | None, log: Path | None
) -> SparkFailure | None:
    """The JVM's death as the failure, when ``exc`` came from it (marked reported, so the
    watchdog stays quiet); None when the JVM is alive and its log names no Java error."""
    if watchdog is None or not (watchdog.dead or _looks_disconnected(exc)):
        return None
    # a JVM out of memory or killed may take a moment to exit; its log names why
    with suppress(subprocess.TimeoutExpired):
        watchdog.process.wait(timeout=GRACE_SECONDS)
    if not (watchdog.dead or last_java_error(log)):
        return None
    watchdog.reported.set()
    return SparkFailure(jvm_death(watchdog.process.poll(), log))


def _log_hint(log: Path | None) -> str:
    cause = last_java_error(log)
    hint = f" ({cause})" if cause else ""
    return hint + (f" (log: {log})" if log else "")
