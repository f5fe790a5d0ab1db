"""The path classifier: one scikit-learn Pipeline from indicator table to path probabilities.

``select`` keeps the catalogue's indicators in catalogue order (so a scoring table with extra
or re-ordered columns gives the same answer) and ``model`` is a multiclass LightGBM, which
handles missing indicators natively. The number of trees is chosen once by early stopping on
a grouped inner split and then fixed, so every later clone (cross-validation, calibration)
fits the same model shape.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, early_stopping
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from clusterpath.models.config import LightGBMConfig, ModelConfig
from clusterpath.models.conformal import ordered_probabilities
from clusterpath.models.splits import grouped_split

SELECT = "select"
MODEL = "model"


def feature_selector(feature_ids: Sequence[str]) -> ColumnTransformer:
    """Keep ``feature_ids`` in the given order, as a pandas frame (names reach LightGBM)."""
    return ColumnTransformer(
        [(SELECT, "passthrough", list(feature_ids))],
        remainder="drop",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")


def lightgbm_classifier(
    params: LightGBMConfig, random_state: int, unread: Sequence[bool] | None = None
) -> LGBMClassifier:
    """A deterministic multiclass LightGBM from the typed hyper-parameters.

    ``unread`` marks, per input column, the indicators the trees must not split on (their
    split gain is multiplied by 0): they stay inputs of the served model, which needs them
    for its flags, but never decide a path.
    """
    extra = (
        {}
        if unread is None or not any(unread)
        else {"feature_contri": [0.0 if u else 1.0 for u in unread]}
    )
    return LGBMClassifier(
        objective="multiclass",
        n_estimators=params.n_estimators,
        learning_rate=params.learning_rate,
        num_leaves=params.num_leaves,
        min_child_samples=params.min_child_samples,
        class_weight=params.class_weight,
        colsample_bytree=params.colsample_bytree,
        reg_lambda=params.reg_lambda,
        extra_trees=params.extra_trees,
        random_state=random_state,
        deterministic=True,
        force_row_wise=True,
        n_jobs=params.n_jobs,
        verbose=-1,
        **extra,
    )


def build_pipeline(config: ModelConfig, feature_ids: Sequence[str]) -> Pipeline:
    """Feature selection in catalogue order, then LightGBM (unfitted)."""
    unread = unread_mask(config, feature_ids)
    return Pipeline(
        [
            (SELECT, feature_selector(feature_ids)),
            (MODEL, lightgbm_classifier(config.lightgbm, config.random_state, unread)),
        ]
    )


def unread_mask(config: ModelConfig, feature_ids: Sequence[str]) -> list[bool]:
    """Per feature: is it one of the configuration's excluded indicators."""
    return [f in config.excluded_indicators for f in feature_ids]


def choose_n_estimators(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    groups: pd.Series,
    sample_weight: np.ndarray | None,
    config: ModelConfig,
) -> int:
    """Number of trees by early stopping on a held-back share of the clusters in ``X``.

    Returns the configured ``n_estimators`` when early stopping is off or the data are too
    small to hold clusters back.
    """
    params = config.lightgbm
    if params.early_stopping_rounds is None or groups.nunique() < 4:
        return params.n_estimators
    fit_idx, val_idx = grouped_split(y, groups, params.early_stopping_share, config.random_state)
    if len(set(y.iloc[fit_idx])) < y.nunique():
        return params.n_estimators
    select = pipeline[:-1]
    X_fit = select.fit_transform(X.iloc[fit_idx])
    X_val = select.transform(X.iloc[val_idx])
    model = lightgbm_classifier(
        params, config.random_state, unread_mask(config, list(X_fit.columns))
    )
    weights = None if sample_weight is None else sample_weight[fit_idx]
    with warnings.catch_warnings():
        # LightGBM 4.7 deprecates eval_set for eval_X/eval_y, but the new path does not
        # encode string labels of the evaluation set; eval_set still does.
        warnings.filterwarnings("ignore", message="The argument 'eval_set' is deprecated")
        model.fit(
            X_fit,
            y.iloc[fit_idx],
            sample_weight=weights,
            eval_set=[(X_val, y.iloc[val_idx])],
            eval_metric="multi_logloss",
            callbacks=[early_stopping(params.early_stopping_rounds, verbose=False)],
        )
    best = model.best_iteration_ or params.n_estimators
    return max(int(best), 1)


def fit_pipeline(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    groups: pd.Series,
    sample_weight: np.ndarray | None,
    config: ModelConfig,
) -> Pipeline:
    """Fix the number of trees by early stopping, then fit on all of ``X``; returns it fitted."""
    n_trees = choose_n_estimators(pipeline, X, y, groups, sample_weight, config)
    pipeline.set_params(**{f"{MODEL}__n_estimators": n_trees})
    return pipeline.fit(X, y, **{f"{MODEL}__sample_weight": sample_weight})


def predict_proba_ordered(estimator, X: pd.DataFrame, classes: Sequence[str]) -> np.ndarray:
    """Probabilities with one column per class in ``classes`` order (0 for unseen classes)."""
    raw = np.asarray(estimator.predict_proba(X), dtype=float)
    return ordered_probabilities(raw, estimator.classes_, classes)


def lightgbm_step(estimator) -> LGBMClassifier:
    """The fitted LightGBM inside a pipeline, or inside a calibrated pipeline."""
    inner = estimator
    if hasattr(inner, "calibrated_classifiers_"):
        inner = inner.calibrated_classifiers_[0].estimator
    if hasattr(inner, "estimator") and isinstance(getattr(inner, "estimator", None), Pipeline):
        inner = inner.estimator
    return inner[-1]


def lightgbm_labels(estimator) -> list[str]:
    """The path of each output of the inner LightGBM, in its own order.

    A calibrated estimator fits its inner pipeline on encoded labels 0..k-1, so the inner
    model's ``classes_`` are positions into the calibrator's ``classes_``.
    """
    inner = lightgbm_step(estimator)
    labels = list(inner.classes_)
    outer = list(getattr(estimator, "classes_", labels))
    if inner is not estimator and all(isinstance(c, int | np.integer) for c in labels):
        return [str(outer[int(c)]) for c in labels]
    return [str(c) for c in labels]
