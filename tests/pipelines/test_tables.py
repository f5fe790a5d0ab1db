"""The command's tables fit an 80-column terminal without cutting a name."""

from __future__ import annotations

import io

import pandas as pd
from rich.console import Console

from clusterpath.data.reference import load_reference
from clusterpath.models.evaluation import Evaluation
from clusterpath.pipelines.label import least_certain_table
from clusterpath.pipelines.train import SUMMARY_ROWS, comparison_table

MODELS = ("lightgbm", "majority", "logistic", "rules")


def rendered(table) -> list[str]:
    console = Console(width=80, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.file.getvalue().splitlines()


def test_comparison_table_keeps_every_model_and_metric_whole():
    stages = {
        stage: Evaluation({key: 0.123456 for _, key, _ in SUMMARY_ROWS}, *[None] * 3)
        for stage, _, _ in SUMMARY_ROWS
    }
    lines = rendered(comparison_table({name: stages for name in MODELS}))
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    for word in (*MODELS, *(title for *_, title in SUMMARY_ROWS)):
        assert word in text, word
    assert text.count("0.123") == len(MODELS) * len(SUMMARY_ROWS)


def test_least_certain_table_keeps_path_codes_whole():
    codes = load_reference().path_codes
    longest = max(codes, key=len)
    ranked = pd.DataFrame(
        {
            "cluster_id": ["SIM-0042", "SIM-0007"],
            "year": [2021, 2022],
            "path": [longest, codes[0]],
            "runner_up": [codes[1], longest],
            "margin": [0.01, 0.02],
            "entropy": [2.1, 1.9],
            "prediction_set": ["|".join(codes), longest],
        }
    )
    lines = rendered(least_certain_table(ranked, 1234))
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    for code in codes:
        assert code in text, code
    assert "SIM-0042" in text and "1,234" in text
