"""Run the command line with a writer that stalls halfway, so a test can kill it mid-write.

``python -m tests.robustness.slow_job SIGNAL_FILE ARGS...`` runs ``clusterpath ARGS...``;
the first CSV written into a scratch folder (``*.tmp``, where ``atomic_dir`` assembles the
outputs) is written whole, then ``SIGNAL_FILE`` is created and the writer sleeps, leaving the
job in the middle of writing its outputs until a signal arrives.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pandas as pd


def stall_after_first_csv(signal_file: Path) -> None:
    original = pd.DataFrame.to_csv

    def to_csv(self, path_or_buf=None, *args, **kwargs):
        written = original(self, path_or_buf, *args, **kwargs)
        if isinstance(path_or_buf, str | Path) and Path(path_or_buf).parent.name.endswith(".tmp"):
            signal_file.write_text(str(path_or_buf), encoding="utf-8")
            time.sleep(600)
        return written

    pd.DataFrame.to_csv = to_csv


def main() -> None:
    # A job started in the background of a shell without job control inherits SIGINT
    # ignored, and Python then installs no handler for it; a job at a terminal takes Ctrl-C.
    # The tests stand in for the terminal, whoever launched the test run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal_file, *args = sys.argv[1:]
    stall_after_first_csv(Path(signal_file))
    from clusterpath.cli import app

    app(args, prog_name="clusterpath")


if __name__ == "__main__":
    main()
