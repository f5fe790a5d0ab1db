"""The shift test: every candidate graded on worlds it did not train on.

Grouped cross-validation and the held-out clusters share the training extract's sources; a
model can do well on both and still fail on data from another source. Here each world with
enough clusters is held out in turn: every candidate is fitted on the other worlds' rows and
predicts the held-out world's. The pooled predictions give the shift metrics; the LightGBM
ones also set the temperature (fitted on the other worlds only, for each world, so the shift
ECE is not graded on its own fit) and show how the trust flag behaves on unseen worlds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.models.dataset import LabelledData
from clusterpath.models.evaluation import Evaluation, evaluate_proba, predicted_labels
from clusterpath.models.monitoring import estimate_against_actual
from clusterpath.models.pipeline import predict_proba_ordered
from clusterpath.models.support import distances, fit_support, important_features
from clusterpath.models.temperature import apply_temperature, fit_temperature

LIGHTGBM = "lightgbm"  # the candidate that is served; the others are baselines


@dataclass(frozen=True)
class ShiftResult:
    """Pooled predictions for held-out worlds and their grades."""

    evaluations: dict[str, Evaluation]  # per model
    per_world: pd.DataFrame  # world x (n, clusters, macro-F1 per model)
    proba: np.ndarray  # LightGBM, untempered, scored rows of the held-out worlds
    tempered: np.ndarray  # the same with each world's cross-fitted temperature
    y: np.ndarray
    world: np.ndarray
    flagged: np.ndarray  # the trust flag each row would get from its fold's support
    temperature: float  # fitted on all held-out worlds' rows: the one served
    flags: dict[str, float]  # flag rate and accuracy of flagged and unflagged rows


def held_out_worlds(data: LabelledData, min_clusters: int) -> list[str]:
    """Worlds with at least ``min_clusters`` clusters (the others only ever train)."""
    if data.world is None:
        return []
    clusters = pd.DataFrame({"world": data.world, "cluster": data.groups}).drop_duplicates()
    counts = clusters["world"].value_counts()
    return sorted(counts.index[counts >= min_clusters].tolist())


def flag_summary(y_true, proba: np.ndarray, classes: Sequence[str], flagged) -> dict[str, float]:
    """Flag rate and the accuracy of flagged and unflagged rows (NaN where there are none)."""
    correct = predicted_labels(proba, classes) == np.asarray(y_true, dtype=object)
    flagged = np.asarray(flagged, dtype=bool)

    def accuracy(mask: np.ndarray) -> float:
        return float(correct[mask].mean()) if mask.any() else float("nan")

    return {
        "flag_rate": float(flagged.mean()) if len(flagged) else float("nan"),
        "accuracy_flagged": accuracy(flagged),
        "accuracy_unflagged": accuracy(~flagged),
    }


def shift_test(
    train: LabelledData,
    fitters: Mapping[str, Callable[[LabelledData], object]],
    classes: Sequence[str],
    sources: Sequence[str],
    feature_ids: Sequence[str],
    support_quantile: float,
    min_clusters: int,
    n_bins: int = 10,
    importance_share: float = 1.0,
) -> ShiftResult | None:
    """Leave-one-world-out predictions of every candidate; None with fewer than 3 worlds."""
    worlds = held_out_worlds(train, min_clusters)
    if len(worlds) < 3:
        return None
    scored = np.zeros(len(train), bool)
    scored[train.scored(sources)] = True
    proba = {name: np.full((len(train), len(classes)), np.nan) for name in fitters}
    flagged = np.zeros(len(train), bool)
    rows_of = {}
    for world in worlds:
        test = np.flatnonzero((train.world == world).to_numpy() & scored)
        fit_part = train.take(np.flatnonzero((train.world != world).to_numpy()))
        if len(test) == 0 or fit_part.y.nunique() < 2:
            continue
        rows_of[world] = test
        X_test = train.X.iloc[test]
        fitted = {name: fit(fit_part) for name, fit in fitters.items()}
        for name, estimator in fitted.items():
            proba[name][test] = predict_proba_ordered(estimator, X_test, classes)
        watched = important_features(fitted[LIGHTGBM], feature_ids, importance_share)
        support = fit_support(fit_part.X, watched, fit_part.groups, support_quantile)
        flagged[test] = distances(X_test, support) > support["threshold"]
    rows = np.sort(np.concatenate(list(rows_of.values())))
    y = train.y.to_numpy(object)
    world_of = train.world.to_numpy(object)
    lgbm = proba[LIGHTGBM]
    tempered = np.full_like(lgbm, np.nan)
    for world, test in rows_of.items():
        others = rows[world_of[rows] != world]
        t = fit_temperature(lgbm[others], y[others], classes)
        tempered[test] = apply_temperature(lgbm[test], t)
    evaluations = {
        name: evaluate_proba(y[rows], p[rows], classes, n_bins) for name, p in proba.items()
    }
    evaluations[LIGHTGBM] = evaluate_proba(y[rows], tempered[rows], classes, n_bins)
    per_world = pd.DataFrame(
        [
            {
                "world": world,
                "n": len(test),
                "clusters": train.groups.iloc[test].nunique(),
                **{
                    f"{name}_macro_f1": evaluate_proba(
                        y[test], (tempered if name == LIGHTGBM else p)[test], classes, n_bins
                    ).metrics["macro_f1"]
                    for name, p in proba.items()
                },
                "flag_rate": float(flagged[test].mean()),
                **_world_columns(estimate_against_actual(tempered[test], y[test], classes)),
            }
            for world, test in rows_of.items()
        ]
    ).set_index("world")
    return ShiftResult(
        evaluations=evaluations,
        per_world=per_world,
        proba=lgbm[rows],
        tempered=tempered[rows],
        y=y[rows],
        world=world_of[rows],
        flagged=flagged[rows],
        temperature=fit_temperature(lgbm[rows], y[rows], classes),
        flags=flag_summary(y[rows], lgbm[rows], classes, flagged[rows]),
    )


def _world_columns(check: Mapping[str, object]) -> dict[str, object]:
    """The estimate-against-actual check of one world as per-world columns (``rows`` is
    the world's ``n`` already)."""
    return {key: value for key, value in check.items() if key != "rows"}
