"""The session's end never hides the failure that ended the command (no JVM needed)."""

from __future__ import annotations

import pytest

from clusterpath.spark.session import GuardedSession, Watchdog, _start_failure, jvm_death


class Py4JNetworkError(OSError):
    """Named as py4j names the error of a socket to a JVM that is gone."""


class JvmProcess:
    def __init__(self, code: int | None):
        self.code = code

    def poll(self) -> int | None:
        return self.code

    def wait(self, timeout: float | None = None) -> int | None:
        return self.code


class Session:
    def __init__(self, error: BaseException | None):
        self.error, self.stopped = error, False

    def stop(self) -> None:
        self.stopped = True
        if self.error is not None:
            raise self.error


def test_stop_after_a_reported_failure_does_not_call_the_jvm():
    watchdog = Watchdog(JvmProcess(None), None)
    watchdog.reported.set()
    spark = Session(Py4JNetworkError("Error while sending or receiving"))
    GuardedSession(spark, watchdog, None).stop()
    assert not spark.stopped and watchdog.stopping.is_set()


def test_stop_swallows_a_lost_connection_but_not_other_errors():
    spark = Session(Py4JNetworkError("Error while sending or receiving"))
    GuardedSession(spark, None, None).stop()
    assert spark.stopped
    with pytest.raises(ValueError):
        GuardedSession(Session(ValueError("a real bug")), None, None).stop()


def test_a_lost_connection_with_an_error_in_the_log_names_it(tmp_path):
    log = tmp_path / "spark.log"
    log.write_text("java.lang.OutOfMemoryError: Java heap space\n", encoding="utf-8")
    session = GuardedSession(Session(None), Watchdog(JvmProcess(None), log), log)
    failure = session.failure(Py4JNetworkError("Error while sending or receiving"))
    assert str(failure).startswith("Spark's JVM stopped answering: java.lang.OutOfMemoryError")
    assert "spark.driver.memory" in str(failure)
    assert session.watchdog.reported.is_set()


def test_a_lost_connection_with_a_live_jvm_and_a_quiet_log_is_a_plain_failure(tmp_path):
    session = GuardedSession(Session(None), Watchdog(JvmProcess(None), None), None)
    failure = session.failure(Py4JNetworkError("Error while sending or receiving"))
    assert str(failure) == "Spark failed: Error while sending or receiving"


def test_jvm_death_gives_the_exit_code_when_there_is_one():
    assert jvm_death(137, None) == "Spark's JVM ended (exit code 137)"
    assert jvm_death(None, None) == "Spark's JVM stopped answering"


def test_a_jvm_dying_while_the_session_is_made_says_why(tmp_path):
    log = tmp_path / "spark.log"
    log.write_text("java.lang.OutOfMemoryError: Java heap space\n", encoding="utf-8")
    refused = ConnectionRefusedError(111, "Connection refused")
    watchdog = Watchdog(JvmProcess(137), log)
    failure = str(_start_failure(refused, watchdog, log))
    assert failure.startswith("Spark's JVM ended (exit code 137): java.lang.OutOfMemoryError")
    assert "spark.driver.memory" in failure
    assert watchdog.stopping.is_set()  # the command says it; the watchdog does not
    # a JVM still alive with nothing in its log: the start failed for another reason
    other = str(_start_failure(ValueError("bad conf"), Watchdog(JvmProcess(None), None), None))
    assert other == "Spark did not start: bad conf"
