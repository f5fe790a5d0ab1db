"""Faults in the middle of a job: kills, Ctrl-C, a full disk, a tracking server that is down
or hangs, a model that no longer fits the catalogue. Nothing is lost, nothing half-written,
and the message says what happened."""

from __future__ import annotations

import errno
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterpath.cli import app
from clusterpath.data.readers import load_extract
from clusterpath.data.reference import load_reference
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.config import load_model_config
from clusterpath.pipelines.features import build_features
from tests.conftest import REPO
from tests.model_store import log_to_sqlite_store, small_bundle
from tests.processes import free_port, stop_group

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy"),
]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def scratch(parent: Path) -> list[str]:
    """Scratch files and folders of atomic writes left in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if p.name.endswith((".tmp", ".old")))


def process_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", **extra}
    env.pop("CLUSTERPATH_DEBUG", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_cli(args: list[object], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clusterpath", *map(str, args)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        **kwargs,
    )


@contextmanager
def stalled_job(args: list[object], env: dict[str, str], work: Path) -> Iterator:
    """``clusterpath ARGS`` in its own process group, stalled after writing its first output
    file into the scratch folder; the group is stopped afterwards whatever happens."""
    signal_file, log = work / "writing", work / "job.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.robustness.slow_job", str(signal_file), *map(str, args)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while not signal_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"job did not reach its writer:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            stop_group(process)
    process.log = log.read_text(encoding="utf-8", errors="replace")


def test_sigkill_mid_write_leaves_previous_outputs_whole(
    commands, scoring_model, corpus_bases, tmp_path
):
    data, out = corpus_bases["parquet"], tmp_path / "scores"
    args = ["score", data, "--out", out, "--model", scoring_model.registered_uri]
    assert commands.invoke(args).exit_code == 0
    before = snapshot(out)
    env = process_env(MLFLOW_TRACKING_URI=scoring_model.tracking_uri)
    with stalled_job(args, env, tmp_path) as process:
        (partial,) = [tmp_path / n for n in scratch(tmp_path)]
        assert (partial / "scores.csv").is_file()  # half of the new outputs are written
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert scratch(tmp_path) == [partial.name]  # a killed job cannot clean up ...
    rerun = commands.invoke(args)
    assert rerun.exit_code == 0, rerun.output
    assert scratch(tmp_path) == []  # ... the next run sweeps its scratch away
    assert sorted(snapshot(out)) == sorted(before)
    (tmp_path / "before.parquet").write_bytes(before["scores.parquet"])
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "scores.parquet").drop(columns="scored_at"),
        pd.read_parquet(tmp_path / "before.parquet").drop(columns="scored_at"),
    )


def test_ctrl_c_exits_130_and_leaves_no_partial_output(scoring_model, corpus_bases, tmp_path):
    out = tmp_path / "scores"
    args = ["score", corpus_bases["parquet"], "--out", out]
    env = process_env(MLFLOW_TRACKING_URI=scoring_model.tracking_uri)
    with stalled_job(args, env, tmp_path) as process:
        assert scratch(tmp_path)
        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 130, process.log
    assert "interrupted; no partial outputs were left" in process.log
    assert "Traceback" not in process.log
    assert not out.exists()
    assert scratch(tmp_path) == []


def test_tracking_server_down_exits_3_quickly(corpus_bases, tmp_path):
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    done = run_cli(
        ["score", corpus_bases["parquet"], "--out", tmp_path / "scores"],
        process_env(MLFLOW_TRACKING_URI=uri),
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert "tracking server unreachable" in done.stderr
    assert "Connection refused" in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 60
    assert not (tmp_path / "scores").exists()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def test_tracking_server_that_never_answers_exits_3_after_bounded_retries(
    silent_server, corpus_bases, tmp_path
):
    env = process_env(MLFLOW_TRACKING_URI=silent_server, MLFLOW_HTTP_REQUEST_TIMEOUT="2")
    started = time.monotonic()
    done = run_cli(["score", corpus_bases["parquet"], "--out", tmp_path / "scores"], env)
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert "tracking server unreachable" in done.stderr
    assert "Read timed out" in done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 120
    assert not (tmp_path / "scores").exists()


def test_model_trained_on_other_indicators_is_refused(corpus_bases, tmp_path):
    """A registered model whose features differ from the catalogue: exit 2, both named."""
    data = corpus_bases["parquet"]
    ids = load_catalogue().ids
    features = build_features(data).assign(legacy_indicator=1.0)
    old_ids = (*ids[1:], "legacy_indicator")
    labels = load_extract(data).labels
    bundle = small_bundle(
        features, labels, load_model_config(), old_ids, load_reference().path_codes, 5
    )
    stored = log_to_sqlite_store(bundle, tmp_path, features[list(old_ids)].head(3), "old")
    result = CliRunner().invoke(
        app,
        ["score", str(data), "--out", str(tmp_path / "scores"), "--model", "models:/old@champion"],
        env={"MLFLOW_TRACKING_URI": stored.tracking_uri},
    )
    assert result.exit_code == 2, result.output
    assert "features only in the model ['legacy_indicator']" in result.output
    assert f"only in the catalogue ['{ids[0]}']" in result.output
    assert not (tmp_path / "scores").exists()


def _limit_file_size(size: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_disk_full_while_writing_features_leaves_previous_file_whole(
    commands, corpus_bases, tmp_path
):
    """RLIMIT_FSIZE makes every write past 4 KiB fail (EFBIG), as a full disk would."""
    data, target = corpus_bases["parquet"], tmp_path / "features.parquet"
    assert commands.invoke(["features", data, "--out", target]).exit_code == 0
    before = target.read_bytes()
    assert len(before) > 4096
    done = run_cli(
        ["features", data, "--out", target], process_env(), preexec_fn=_limit_file_size(4096)
    )
    assert done.returncode == 1, done.stderr
    assert "File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert target.read_bytes() == before
    assert scratch(tmp_path) == []


def test_disk_full_while_writing_scores_leaves_previous_outputs_whole(
    commands, scoring_model, corpus_bases, tmp_path, monkeypatch
):
    out = tmp_path / "scores"
    args = [
        "score",
        corpus_bases["parquet"],
        "--out",
        out,
        "--model",
        scoring_model.registered_uri,
    ]
    assert commands.invoke(args).exit_code == 0
    before = snapshot(out)
    original = Path.write_text

    def half_then_full(self: Path, text: str, *args, **kwargs):
        if not self.parent.name.endswith(".tmp"):
            return original(self, text, *args, **kwargs)
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", half_then_full)
    result = commands.invoke(args)
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert snapshot(out) == before
    assert scratch(tmp_path) == []
