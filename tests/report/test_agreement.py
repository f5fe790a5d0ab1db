"""The gallery's agreement table on a tiny frame worked out by hand."""

from __future__ import annotations

import pandas as pd

from clusterpath.report.agreement import agreement, rows_markdown, summary_markdown

CODES = ("giant_anchored", "upgrade", "convergence", "introduction", "indigenous")

LABELS = pd.DataFrame(
    {
        "cluster_id": ["A", "A", "B", "C", "D"],
        "year": [2022, 2023, 2022, 2022, 2022],
        "path": ["upgrade", "upgrade", "indigenous", "introduction", "giant_anchored"],
        "second_path": ["giant_anchored", "giant_anchored", "", None, ""],
        "clarity": ["mixed", "mixed", "clear", "clear", "clear"],
    }
)
PREDICTIONS = pd.DataFrame(
    {
        "cluster_id": ["A", "A", "B", "C", "D"],
        "year": [2022, 2023, 2022, 2022, 2022],
        # A22 agrees; A23 picks the second path; B wrong but in set; C abstains; D agrees
        "path": ["upgrade", "giant_anchored", "convergence", "", "giant_anchored"],
        "prediction_set": [
            "upgrade",
            "giant_anchored|upgrade",
            "convergence|indigenous",
            "",
            "giant_anchored",
        ],
    }
)
RULES = pd.DataFrame(
    {
        "cluster_id": ["A", "A", "B", "C", "D"],
        "year": [2022, 2023, 2022, 2022, 2022],
        "path": ["giant_anchored", "giant_anchored", "indigenous", "indigenous", "upgrade"],
    }
)


def test_summary_counts_match_the_hand_worked_values():
    result = agreement(LABELS, PREDICTIONS, CODES, RULES)
    got = result.summary.set_index("measure")
    # model: A22, D agree -> 2 of 5; rules: B -> 1 of 5
    assert (got.at["overall", "model_hits"], got.at["overall", "n"]) == (2, 5)
    assert got.at["overall", "baseline_hits"] == 1
    # clear: B, C, D -> model D only; rules B only
    assert (got.at["clarity: clear", "model_hits"], got.at["clarity: clear", "n"]) == (1, 3)
    assert got.at["clarity: clear", "baseline_hits"] == 1
    # mixed: A22, A23 -> model A22
    assert (got.at["clarity: mixed", "model_hits"], got.at["clarity: mixed", "n"]) == (1, 2)
    assert got.at["clarity: mixed", "baseline_hits"] == 0
    # recall per path
    assert (got.at["path: upgrade", "model_hits"], got.at["path: upgrade", "n"]) == (1, 2)
    assert (got.at["path: indigenous", "model_hits"], got.at["path: indigenous", "n"]) == (0, 1)
    assert got.at["path: indigenous", "baseline_hits"] == 1
    assert got.at["path: convergence", "n"] == 0
    # either path: A23 counts for the model (its second path), A22 and A23 for the rules
    assert got.at["either path", "model_hits"] == 3
    assert got.at["either path", "baseline_hits"] == 3
    # in set: A22, A23, B, D hold the documented path; C abstained
    assert (got.at["in set", "model_hits"], got.at["in set", "n"]) == (4, 5)


def test_rows_keep_the_reading_and_the_prediction_set():
    rows = agreement(LABELS, PREDICTIONS, CODES).rows.set_index(["cluster_id", "year"])
    assert rows.at[("A", 2023), "prediction_set"] == ("giant_anchored", "upgrade")
    assert rows.at[("C", 2022), "recommended"] == ""
    assert rows.at[("C", 2022), "second_path"] == ""
    assert not rows.at[("C", 2022), "in_set"]


def test_labels_without_the_optional_columns_are_read():
    old = LABELS[["cluster_id", "year", "path"]]
    result = agreement(old, PREDICTIONS, CODES)
    assert result.summary.set_index("measure").at["clarity: clear", "n"] == 0
    assert result.summary.set_index("measure").at["overall", "model_hits"] == 2


def test_markdown_shows_shares_and_marks():
    result = agreement(LABELS, PREDICTIONS, CODES, RULES)
    summary = summary_markdown(result, "champion", "rules")
    assert "| overall | 2/5 (40%) | 1/5 (20%) |" in summary
    assert "| in set | 4/5 (80%) | — |" in summary
    rows = rows_markdown(result, {"A": "Alpha"})
    assert "| A Alpha | 2023 | upgrade / giant_anchored | mixed | giant_anchored ~ |" in rows


def test_left_out_answers_stand_in_for_the_champions_scores():
    """A training run's gallery.csv (predicted, prediction_set) gives the same table as scores
    holding the same answers."""
    from clusterpath.pipelines.gallery_agreement import left_out_predictions

    loco = PREDICTIONS.rename(columns={"path": "predicted"}).assign(
        documented=LABELS["path"], p_upgrade=0.5
    )
    loco["year"] = loco["year"].astype(str)
    predictions = left_out_predictions(loco)
    assert list(predictions.columns) == ["cluster_id", "year", "path", "prediction_set"]
    assert predictions["year"].tolist() == [2022, 2023, 2022, 2022, 2022]
    from_loco = agreement(LABELS, predictions, CODES, RULES).summary
    from_scores = agreement(LABELS, PREDICTIONS, CODES, RULES).summary
    pd.testing.assert_frame_equal(from_loco, from_scores)
