"""Expert readings: joined to every fit, graded cluster by cluster by a refit without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterpath.models.dataset import LabelledData
from clusterpath.models.expert import (
    ExpertRows,
    clarity_of,
    concat_rows,
    gallery_alone,
    gallery_metrics,
    gallery_table,
    leave_one_cluster_out,
    with_rows,
)

CLASSES = ("a", "b")


def rows(clusters: list[str], paths: list[str], x: list[float], source: str) -> LabelledData:
    n = len(clusters)
    return LabelledData(
        X=pd.DataFrame({"cluster_id": clusters, "year": [2023] * n, "v": x}),
        y=pd.Series(paths),
        groups=pd.Series(clusters),
        source=pd.Series([source] * n),
        weight=np.ones(n),
    )


class Recorder:
    """A fit function that remembers which clusters it saw and predicts their share of 'a'."""

    def __init__(self):
        self.seen: list[set[str]] = []

    def __call__(self, part: LabelledData):
        self.seen.append(set(part.groups))
        share = float((part.y == "a").mean())

        class Fitted:
            classes_ = np.array(CLASSES)

            def predict_proba(self, X):
                return np.tile([share, 1 - share], (len(X), 1))

        return Fitted()


def test_every_expert_cluster_is_predicted_by_a_fit_without_it() -> None:
    train = rows(["S1", "S2"], ["a", "b"], [0.0, 1.0], "simulated")
    expert = rows(["G1", "G1", "G2"], ["a", "a", "b"], [0.0, 0.1, 1.0], "expert")
    fit = Recorder()
    proba = leave_one_cluster_out(fit, train, expert, CLASSES)
    assert fit.seen == [{"S1", "S2", "G2"}, {"S1", "S2", "G1"}]
    # without G1: paths a, b, b -> 1/3; without G2: a, b, a, a -> 3/4
    np.testing.assert_allclose(proba[:, 0], [1 / 3, 1 / 3, 3 / 4])


def test_gallery_alone_fits_on_the_other_expert_clusters_only() -> None:
    expert = rows(["G1", "G1", "G2", "G3"], ["a", "a", "b", "b"], [0.0, 0.1, 1.0, 0.9], "expert")
    clarity = pd.Series(["clear", "clear", "mixed", "clear"])
    fit = Recorder()
    alone = gallery_alone(fit, ExpertRows(expert, clarity), CLASSES)
    assert fit.seen == [{"G2", "G3"}, {"G1", "G3"}, {"G1", "G2"}]
    # share of a without G1: 0 -> b (wrong twice); without G2: 2/3 -> a (wrong);
    # without G3: 2/3 -> a (wrong): nothing agrees, a majority vote read backwards
    assert alone == {"alone_agreement_clear": 0.0, "alone_agreement_all": 0.0}
    # three clusters of a and one of b: the three a are right (2/3 a without each), b wrong
    expert = rows(["G1", "G2", "G3", "G4"], ["a", "a", "a", "b"], [0.0] * 4, "expert")
    clarity = pd.Series(["clear", "mixed", "mixed", "clear"])
    alone = gallery_alone(Recorder(), ExpertRows(expert, clarity), CLASSES)
    assert alone == {"alone_agreement_clear": 0.5, "alone_agreement_all": 0.75}


def test_with_rows_adds_the_expert_rows_to_every_fit_and_keeps_their_weight() -> None:
    train = rows(["S1"], ["a"], [0.0], "simulated")
    expert = rows(["G1"], ["b"], [1.0], "expert")
    expert = LabelledData(**{**expert.__dict__, "weight": np.array([10.0])})
    both = concat_rows(train, expert)
    assert list(both.groups) == ["S1", "G1"] and list(both.weight) == [1.0, 10.0]
    assert list(both.world) == ["simulated", "expert"]  # no world given: the source
    fit = Recorder()
    with_rows(fit, expert)(train)
    assert fit.seen == [{"S1", "G1"}]
    assert with_rows(fit, None) is fit


def test_clarity_is_read_where_given_and_clear_where_missing() -> None:
    data = rows(["G1", "G2", "G3"], ["a", "b", "a"], [0, 0, 0], "expert")
    labels = pd.DataFrame(
        {"cluster_id": ["G1", "G2", "G3"], "year": [2023] * 3, "clarity": ["mixed", None, ""]}
    )
    assert clarity_of(labels, data).tolist() == ["mixed", "clear", "clear"]
    assert clarity_of(labels.drop(columns="clarity"), data).tolist() == ["clear"] * 3


def test_gallery_metrics_by_hand() -> None:
    data = rows(["G1", "G1", "G2", "G3"], ["a", "a", "b", "b"], [0, 0, 0, 0], "expert")
    expert = ExpertRows(data, pd.Series(["clear", "clear", "clear", "mixed"]))
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.7, 0.3]])
    in_set = np.array([True, True, True, False])
    flagged = np.array([False, True, False, True])
    table = gallery_table(expert, proba, CLASSES, in_set, flagged)
    assert table["predicted"].tolist() == ["a", "b", "b", "a"]
    m = gallery_metrics(table, CLASSES)
    # clear rows 1-3: right, wrong, right -> 2/3; all 4: 2/4
    assert m["agreement_clear"] == pytest.approx(2 / 3)
    assert m["agreement_all"] == pytest.approx(0.5)
    assert m["in_set"] == pytest.approx(0.75)
    # documented a: rows 1, 2 -> 1/2; documented b: rows 3, 4 -> 1/2
    assert m["recall_a"] == pytest.approx(0.5) and m["recall_b"] == pytest.approx(0.5)
    # flagged rows 2 and 4 are both wrong, unflagged 1 and 3 both right
    assert (m["flag_rate"], m["accuracy_flagged"], m["accuracy_unflagged"]) == (0.5, 0.0, 1.0)
