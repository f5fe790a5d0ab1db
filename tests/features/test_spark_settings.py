"""Spark settings: defaults sized for the machine, the environment, then the command line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clusterpath.spark.session import (
    CONF_ENV,
    JAVA_OPTIONS,
    QUICK_COMPILER,
    first_line,
    local_bytes,
    machine_memory_mib,
    parse_conf,
    session_conf,
    sized_conf,
)


def test_driver_heap_is_a_quarter_of_the_machine():
    conf = session_conf("local[2]")
    assert conf["spark.driver.memory"] == f"{max(1024, machine_memory_mib() // 4)}m"
    assert "spark.executor.memory" not in conf  # local mode: executors share the driver's JVM
    assert session_conf("spark://h:7077")["spark.executor.memory"] == conf["spark.driver.memory"]


def test_command_line_beats_environment_beats_defaults(monkeypatch):
    monkeypatch.setenv(CONF_ENV, "spark.driver.memory=3g spark.sql.shuffle.partitions=7")
    conf = session_conf("local[2]", {"spark.driver.memory": "5g"})
    assert conf["spark.driver.memory"] == "5g"
    assert conf["spark.sql.shuffle.partitions"] == "7"


def test_java_options_keep_the_out_of_memory_exit(monkeypatch):
    monkeypatch.delenv(CONF_ENV, raising=False)
    conf = session_conf("local[2]", {"spark.driver.extraJavaOptions": "-Dx=1"})
    assert conf["spark.driver.extraJavaOptions"] == f"-Dx=1 {JAVA_OPTIONS}"


@pytest.mark.parametrize("pair", ["driver.memory=1g", "spark.driver.memory", "=1"])
def test_malformed_settings_are_named(pair):
    with pytest.raises(ValueError, match=r"--spark-conf: expected spark\.KEY=VALUE"):
        parse_conf([pair], "--spark-conf")


def test_a_python_task_error_is_reported_by_its_last_line():
    text = (
        "An exception was thrown from the Python worker:\nTraceback (most recent call last):\n"
        "  File \"x.py\", line 1, in f\nAttributeError: 'list' object has no attribute 'rows'\n"
    )
    assert (
        first_line(RuntimeError(text)) == "AttributeError: 'list' object has no attribute 'rows'"
    )
    assert first_line(RuntimeError("\n  job aborted\nmore")) == "job aborted"


def test_shuffles_follow_the_input_size():
    small, large = sized_conf(40_000, cores=2), sized_conf(70 * 2**20, cores=2)
    assert small == {"spark.sql.adaptive.enabled": "false", "spark.sql.shuffle.partitions": "1"}
    assert large == {"spark.sql.adaptive.enabled": "true", "spark.sql.shuffle.partitions": "3"}
    assert sized_conf(10 * 2**30, cores=2)["spark.sql.shuffle.partitions"] == "8"  # 4 a core
    assert sized_conf(70 * 2**20, cores=2, local=True)["spark.sql.adaptive.enabled"] == "false"


def test_quick_compiler_and_no_generated_code_only_for_small_local_inputs(monkeypatch, tmp_path):
    monkeypatch.delenv(CONF_ENV, raising=False)
    (tmp_path / "firms.csv").write_bytes(b"x" * 1000)
    assert local_bytes(str(tmp_path)) == 1000
    assert local_bytes("hdfs://namenode/extract") is None
    java = "spark.driver.extraJavaOptions"
    small = session_conf("local[2]", small_input=True)
    assert QUICK_COMPILER in small[java]
    assert small["spark.sql.codegen.wholeStage"] == "false"
    assert QUICK_COMPILER not in session_conf("local[2]")[java]
    assert "spark.sql.codegen.wholeStage" not in session_conf("local[2]")
    on_cluster = session_conf("spark://h:7077", small_input=True)
    assert QUICK_COMPILER not in on_cluster[java]
    assert "spark.sql.codegen.wholeStage" not in on_cluster


def test_a_dying_jvm_reported_through_the_root_logger_goes_to_the_spark_log(tmp_path):
    # py4j calls logging.exception on the root logger when the JVM's answer is lost; the
    # command must still print one line, so the record lands in the Spark log
    log = tmp_path / "spark.log"
    code = (
        "import logging\n"
        "from pathlib import Path\n"
        "from clusterpath.spark.session import root_log_to\n"
        f"root_log_to(Path({str(log)!r}))\n"
        "try:\n"
        "    raise ConnectionError('Answer from Java side is empty')\n"
        "except ConnectionError:\n"
        "    logging.exception('Exception while sending command.')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    text = log.read_text(encoding="utf-8")
    assert "Exception while sending command." in text and "ConnectionError" in text
