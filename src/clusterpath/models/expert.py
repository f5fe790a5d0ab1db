"""Expert labels in every run: real clusters trained on beside simulated ones, graded honestly.

The gallery (``data/gallery/extract``) holds real clusters whose path experts documented.
Its rows join every fit (cross-validation, the shift test, the held-out grade and the served
model), weighted by ``label_weights.expert``, so the model learns what a real source records
and not only what the simulator draws. Their grade must not come from a model that saw them:
each gallery cluster is predicted by a refit without it (leave one cluster out), with the
hyper-parameters and number of trees the served model was given, so the grade costs one
fit per gallery cluster and no search. A documented reading is ``clear`` unless the labels
table's optional ``clarity`` column says ``mixed``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusterpath.models.dataset import LabelledData
from clusterpath.models.evaluation import predicted_labels
from clusterpath.models.monitoring import discounted, estimate_against_actual
from clusterpath.models.pipeline import predict_proba_ordered
from clusterpath.models.real_source import (
    RealSourceCorrection,
    cross_fitted_factors,
    fit_real_source,
)

CLEAR = "clear"
FitFunction = Callable[[LabelledData], object]


@dataclass(frozen=True)
class ExpertRows:
    """Expert-labelled rows and how clear each documented reading is (``clear``/``mixed``)."""

    data: LabelledData
    clarity: pd.Series

    @property
    def clusters(self) -> list[str]:
        return sorted(self.data.groups.unique())


def clarity_of(labels: pd.DataFrame, data: LabelledData) -> pd.Series:
    """Each row's clarity from the labels' optional ``clarity`` column (missing: clear)."""
    if "clarity" not in labels.columns:
        return pd.Series(CLEAR, index=range(len(data)), dtype=object)
    key = labels.assign(year=labels["year"].astype("int64")).set_index(["cluster_id", "year"])
    found = pd.MultiIndex.from_arrays([data.groups, data.X["year"].astype("int64")])
    values = key["clarity"].reindex(found).astype("string").str.strip().str.lower()
    return pd.Series(values.fillna(CLEAR).replace("", CLEAR).to_numpy(object))


def concat_rows(first: LabelledData, second: LabelledData) -> LabelledData:
    """Rows of both (world of a row without one: its source)."""

    def worlds(part: LabelledData) -> pd.Series:
        return part.source if part.world is None else part.world

    return LabelledData(
        X=pd.concat([first.X, second.X], ignore_index=True),
        y=pd.concat([first.y, second.y], ignore_index=True),
        groups=pd.concat([first.groups, second.groups], ignore_index=True),
        source=pd.concat([first.source, second.source], ignore_index=True),
        weight=np.concatenate([first.weight, second.weight]),
        world=pd.concat([worlds(first), worlds(second)], ignore_index=True),
    )


def with_rows(fit: FitFunction, extra: LabelledData | None) -> FitFunction:
    """The fit function that also learns from ``extra`` (unchanged when there is none)."""
    if extra is None or len(extra) == 0:
        return fit

    def fit_with(part: LabelledData) -> object:
        return fit(concat_rows(part, extra))

    return fit_with


def leave_one_cluster_out(
    fit: FitFunction, train: LabelledData, expert: LabelledData, classes: Sequence[str]
) -> np.ndarray:
    """Probabilities of every expert row from a fit on ``train`` and the other expert clusters."""
    proba = np.full((len(expert), len(classes)), np.nan)
    for cluster in sorted(expert.groups.unique()):
        held = (expert.groups == cluster).to_numpy()
        others = expert.take(np.flatnonzero(~held))
        estimator = fit(concat_rows(train, others))
        proba[held] = predict_proba_ordered(estimator, expert.X.loc[held], classes)
    return proba


def gallery_alone(
    fit: FitFunction, expert: ExpertRows, classes: Sequence[str]
) -> dict[str, float]:
    """How far the expert rows' own indicators separate their documented paths: each cluster
    predicted by ``fit`` on the other expert clusters alone, no simulated rows.

    A low figure says the extracts of the real clusters hardly carry their readings (most of
    each is its domain's defaults), so no model can agree much with them; a high one that
    agreement is there to be learnt. Returns ``alone_agreement_clear`` and ``_all``."""
    nobody = expert.data.take(np.array([], dtype=int))
    proba = leave_one_cluster_out(fit, nobody, expert.data, classes)
    agrees = predicted_labels(proba, classes) == expert.data.y.to_numpy(object)
    clear = (expert.clarity == CLEAR).to_numpy()
    return {
        "alone_agreement_clear": float(agrees[clear].mean()) if clear.any() else float("nan"),
        "alone_agreement_all": float(agrees.mean()),
    }


def gallery_table(
    expert: ExpertRows,
    proba: np.ndarray,
    classes: Sequence[str],
    in_set: np.ndarray,
    flagged: np.ndarray,
) -> pd.DataFrame:
    """One row per expert cluster-year: documented and predicted path, set, flag, agreement."""
    data = expert.data
    predicted = predicted_labels(proba, classes)
    table = pd.DataFrame(
        {
            "cluster_id": data.groups.to_numpy(),
            "year": data.X["year"].astype("int64").to_numpy(),
            "documented": data.y.to_numpy(object),
            "clarity": expert.clarity.to_numpy(object),
            "predicted": predicted,
            "agrees": predicted == data.y.to_numpy(object),
            "in_set": np.asarray(in_set, bool),
            "flagged": np.asarray(flagged, bool),
        }
    )
    for k, path in enumerate(classes):
        table[f"p_{path}"] = proba[:, k]
    return table


def gallery_metrics(table: pd.DataFrame, classes: Sequence[str]) -> dict[str, float]:
    """Agreement (clear, all), documented path in the set, recall per path, flag behaviour."""

    def share(mask: pd.Series) -> float:
        return float(mask.mean()) if len(mask) else float("nan")

    clear = table["clarity"] == CLEAR
    flagged = table["flagged"]
    out = {
        "agreement_clear": share(table.loc[clear, "agrees"]),
        "agreement_all": share(table["agrees"]),
        "in_set": share(table["in_set"]),
        "flag_rate": share(flagged),
        "accuracy_flagged": share(table.loc[flagged, "agrees"]),
        "accuracy_unflagged": share(table.loc[~flagged, "agrees"]),
        "n": float(len(table)),
    }
    for path in classes:
        out[f"recall_{path}"] = share(table.loc[table["documented"] == path, "agrees"])
    return out


def estimate_on_expert(
    simulated: pd.DataFrame,
    expert: ExpertRows,
    table: pd.DataFrame,
    low_trust: np.ndarray,
    low_trust_ratio: float,
    classes: Sequence[str],
    feature_ids: Sequence[str],
    seed: int = 0,
) -> tuple[RealSourceCorrection, dict[str, float]]:
    """The real-source correction the served model carries (``real_source.py``), and the
    check of the batch estimate on the expert rows as scoring would give it: each row's
    leave-one-cluster-out probabilities (``table``), its ``low_trust`` scaling and its
    resemblance factor from a correction fitted without its cluster, against the actual
    agreement. ``table`` gains each row's ``estimate_factor``."""
    proba = table[[f"p_{c}" for c in classes]].to_numpy(float)
    truth = expert.data.y.to_numpy(object)
    X, groups = expert.data.X, expert.data.groups.to_numpy(object)
    correction = fit_real_source(simulated, X, proba, truth, classes, feature_ids, seed)
    factors = cross_fitted_factors(simulated, X, proba, truth, groups, classes, feature_ids, seed)
    table["estimate_factor"] = factors
    ratio = np.where(low_trust, low_trust_ratio, 1.0) * factors
    corrected = estimate_against_actual(
        discounted(proba, np.ones(len(proba), dtype=bool), ratio),
        truth,
        classes,
        pred=np.argmax(proba, axis=1),
    )
    plain = estimate_against_actual(proba, truth, classes)
    return correction, {
        "estimated_accuracy": corrected["estimated_accuracy"],
        "estimated_accuracy_low": corrected["estimated_accuracy_low"],
        "estimated_accuracy_high": corrected["estimated_accuracy_high"],
        "estimated_accuracy_uncorrected": plain["estimated_accuracy"],
        "estimate_gap": corrected["estimated_accuracy"] - corrected["actual_accuracy"],
        "estimate_factor_mean": float(factors.mean()),
    }
