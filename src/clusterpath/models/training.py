"""Fit the path classifier and its baselines, and grade them all the same honest way.

The labelled rows are split by cluster: a **holdout** share (``evaluation.holdout_share``)
is used for nothing but the final grades (and for comparing a new model with the registered
champion). On the remaining **training** clusters, grouped folds give every model its
cross-validated grades (the same folds for all), and every model is then fitted on all
training clusters, so the comparison on the holdout is like for like.

The served LightGBM also needs probabilities on rows it did not fit, to decide on calibration
and to set the conformal threshold. ``conformal.scheme`` says where they come from:

- ``cross`` (default): the out-of-fold probabilities of the grouped cross-validation
  (cross-conformal, in the spirit of CV+). The served model uses every training cluster.
- ``split``: a held-back share of training clusters (``conformal.calibration_share``); the
  served model is the fit on the rest. Textbook split conformal, at the price of fitting on
  fewer clusters (measured on simulated extracts: held-out macro-F1 ~0.02 lower).

When the training clusters come from three or more worlds (sources, regions: see
``shift.py``), every candidate is also graded on each world held out in turn, and that shift
test decides instead: the served LightGBM is tempered and given its conformal threshold from
predictions for worlds it did not see, because that is how analysts will use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from clusterpath.models.baselines import logistic_baseline, majority_baseline, rule_baseline
from clusterpath.models.config import ModelConfig, RulesConfig
from clusterpath.models.conformal import ConformalPredictor, calibrate_estimator, coverage_report
from clusterpath.models.dataset import LabelledData
from clusterpath.models.evaluation import (
    Evaluation,
    comparison_table,
    cross_validate,
    evaluate_proba,
    expected_calibration_error,
    out_of_fold_proba,
)
from clusterpath.models.expert import (
    ExpertRows,
    FitFunction,
    estimate_on_expert,
    gallery_alone,
    gallery_metrics,
    gallery_table,
    leave_one_cluster_out,
    with_rows,
)
from clusterpath.models.monitoring import estimate_corrections, training_reference
from clusterpath.models.pipeline import (
    MODEL,
    build_pipeline,
    fit_pipeline,
    lightgbm_step,
    predict_proba_ordered,
)
from clusterpath.models.real_source import source_separability
from clusterpath.models.shift import LIGHTGBM, ShiftResult, flag_summary, shift_test
from clusterpath.models.splits import Split, grouped_folds, grouped_split
from clusterpath.models.support import distances, feature_ranges, fit_support, important_features
from clusterpath.models.temperature import TemperatureScaled, apply_temperature


@dataclass(frozen=True)
class HoldoutSplit:
    train: LabelledData
    holdout: LabelledData


@dataclass(frozen=True)
class TrainingResult:
    """What training learned and how well it did, ready to be logged and served."""

    model: object
    conformal: ConformalPredictor
    classes: tuple[str, ...]
    feature_ids: tuple[str, ...]
    n_estimators: int
    calibrated: bool
    calibration_tried: bool
    ece_uncalibrated: float
    ece_calibrated: float
    evaluations: dict[str, dict[str, Evaluation]]
    holdout_coverage: dict[str, float]
    split: HoldoutSplit
    baselines: dict[str, object] = field(default_factory=dict)
    shift: ShiftResult | None = None
    temperature: float = 1.0
    support: dict = field(default_factory=dict)
    holdout_flags: dict[str, float] = field(default_factory=dict)
    gallery: dict[str, pd.DataFrame] = field(default_factory=dict)  # per model, expert rows
    real_source: dict | None = None  # RealSourceCorrection.as_dict(), from the expert rows

    @property
    def comparison(self) -> pd.DataFrame:
        return comparison_table(self.evaluations)

    @property
    def holdout_clusters(self) -> tuple[str, ...]:
        return tuple(sorted(self.split.holdout.groups.unique()))

    def bundle(self, catalogue_version: str = "") -> dict[str, object]:
        """What the served model needs, as plain objects (read by ``path_model.PathModel``)."""
        return {
            "estimator": self.model,
            "classes": list(self.classes),
            "feature_ids": list(self.feature_ids),
            "conformal": self.conformal.as_dict(),
            "ranges": feature_ranges(self.split.train.X, self.feature_ids),
            "catalogue_version": catalogue_version,
            "n_estimators": self.n_estimators,
            "calibrated": self.calibrated,
            "temperature": self.temperature,
            "support": self.support,
            "reference": training_reference(
                self.split.train.X,
                self.feature_ids,
                {"low_trust": self.holdout_flags.get("flag_rate", float("nan"))},
                None
                if self.shift is None
                else estimate_corrections(
                    self.shift.per_world,
                    self.shift.tempered,
                    self.shift.y,
                    self.shift.flagged,
                    self.classes,
                ),
                self.real_source,
                self.trained_on,
            ),
        }

    @property
    def trained_on(self) -> list[str]:
        """Every labelled cluster the served model was fitted on (training and expert)."""
        expert = self.gallery[LIGHTGBM]["cluster_id"] if self.gallery else []
        return sorted({*map(str, self.split.train.groups.unique()), *map(str, expert)})


def split_holdout(data: LabelledData, config: ModelConfig) -> HoldoutSplit:
    """Hold back a share of clusters for the final grades only."""
    keep, held = grouped_split(
        data.y, data.groups, config.evaluation.holdout_share, config.random_state
    )
    return HoldoutSplit(train=data.take(keep), holdout=data.take(held))


def lightgbm_fitter(
    config: ModelConfig, feature_ids: Sequence[str]
) -> Callable[[LabelledData], object]:
    """Fit function for LightGBM: early stopping on the given rows' own inner split."""

    def fit(part: LabelledData) -> object:
        pipeline = build_pipeline(config, feature_ids)
        return fit_pipeline(pipeline, part.X, part.y, part.groups, part.weight, config)

    return fit


def plain_fitter(template) -> Callable[[LabelledData], object]:
    """Fit function for a baseline pipeline (label weights passed to its ``model`` step)."""

    def fit(part: LabelledData) -> object:
        return clone(template).fit(part.X, part.y, **{f"{MODEL}__sample_weight": part.weight})

    return fit


def candidate_fitters(
    config: ModelConfig,
    rules: RulesConfig,
    feature_ids: Sequence[str],
    classes: Sequence[str],
) -> dict[str, Callable[[LabelledData], object]]:
    """LightGBM and the three baselines, by name (logistic regression reads what LightGBM
    may split on)."""
    read = config.model_features(feature_ids)
    return {
        LIGHTGBM: lightgbm_fitter(config, feature_ids),
        "majority": plain_fitter(majority_baseline(feature_ids)),
        "logistic": plain_fitter(logistic_baseline(read, config.random_state)),
        "rules": plain_fitter(rule_baseline(rules, classes)),
    }


def calibrated_lightgbm_fitter(
    config: ModelConfig, feature_ids: Sequence[str]
) -> Callable[[LabelledData], object]:
    """Fit function for LightGBM wrapped in a probability calibrator with grouped folds."""
    plain = lightgbm_fitter(config, feature_ids)

    def fit(part: LabelledData) -> object:
        pipeline = plain(part)  # fixes the number of trees by early stopping
        n_folds = min(config.evaluation.cv_folds, max(2, part.groups.nunique() // 2))
        folds = grouped_folds(part.y, part.groups, n_folds, config.random_state + 1)
        return calibrate_estimator(
            clone(pipeline), part.X, part.y, folds, config.calibration.method, part.weight
        )

    return fit


def _scored(part: LabelledData, config: ModelConfig) -> LabelledData:
    return part.take(part.scored(config.evaluation.evaluation_sources))


class _HeldBack:
    """Probabilities on rows a procedure did not fit, and the procedure's served fit.

    ``cross``: out-of-fold over the grouped CV folds of all training clusters; the served
    model is then fitted on all of them. ``split``: predictions on a held-back share of the
    training clusters from a fit on the rest, and that fit is served.
    """

    def __init__(
        self,
        train: LabelledData,
        folds: Sequence[Split],
        config: ModelConfig,
        classes: Sequence[str],
    ):
        self.config, self.classes, self.train, self.folds = config, classes, train, folds
        self.scheme = config.conformal.scheme
        if self.scheme == "split":
            fit_idx, cal_idx = grouped_split(
                train.y, train.groups, config.conformal.calibration_share, config.random_state + 1
            )
            self.fit_part, self.reference = train.take(fit_idx), train.take(cal_idx)
        else:
            self.fit_part, self.reference = train, train
        self.rows = self.reference.scored(config.evaluation.evaluation_sources)
        self._fitted: dict[str, object] = {}

    @property
    def y(self) -> pd.Series:
        return self.reference.y.iloc[self.rows]

    def proba(self, name: str, fit: Callable[[LabelledData], object], oof=None) -> np.ndarray:
        """Held-back probabilities (scored rows only) of the procedure ``fit``."""
        if self.scheme == "cross":
            full = (
                oof
                if oof is not None
                else out_of_fold_proba(fit, self.train, self.folds, self.classes)
            )
            return full[self.rows]
        self._fitted[name] = fit(self.fit_part)
        return predict_proba_ordered(self._fitted[name], self.reference.X, self.classes)[self.rows]

    def final(self, name: str, fit: Callable[[LabelledData], object]) -> object:
        if self.scheme == "split":
            return self._fitted[name]
        return fit(self.train)


def fit_served_model(
    train: LabelledData,
    folds: Sequence[Split],
    oof: np.ndarray,
    config: ModelConfig,
    feature_ids: Sequence[str],
    classes: Sequence[str],
    extra: LabelledData | None = None,
) -> tuple[object, ConformalPredictor, dict[str, object]]:
    """Choose plain or calibrated LightGBM, set the conformal threshold, fit what is served.

    Calibration is tried only if the held-back top-label ECE is above the threshold, and kept
    only if it lowers that ECE. ``oof`` are the plain model's out-of-fold probabilities on
    ``train`` (reused by the ``cross`` scheme). Returns the estimator, the conformal
    predictor and facts about the choice. Every fit also learns from ``extra`` (expert rows).
    """
    held = _HeldBack(train, folds, config, classes)
    bins = config.calibration.ece_bins
    plain = with_rows(lightgbm_fitter(config, feature_ids), extra)
    proba = held.proba("plain", plain, oof)
    ece_before = expected_calibration_error(held.y, proba, classes, bins)
    chosen, ece_after, tried = ("plain", plain), ece_before, False
    if ece_before > config.calibration.ece_threshold:
        tried = True
        calibrated = with_rows(calibrated_lightgbm_fitter(config, feature_ids), extra)
        proba_cal = held.proba("calibrated", calibrated)
        ece_after = expected_calibration_error(held.y, proba_cal, classes, bins)
        if ece_after < ece_before:
            chosen, proba = ("calibrated", calibrated), proba_cal
    conformal = ConformalPredictor.fit(
        proba, held.y, classes, config.conformal.coverage, config.conformal.method
    )
    model = held.final(*chosen)
    facts = {
        "n_estimators": _n_trees(model),
        "calibrated": chosen[0] == "calibrated",
        "calibration_tried": tried,
        "ece_uncalibrated": ece_before,
        "ece_calibrated": ece_after,
        "held_back_proba": proba,
        "held_back_y": held.y,
    }
    return model, conformal, facts


def fit_tempered_model(
    train: LabelledData,
    shift: ShiftResult,
    config: ModelConfig,
    classes: Sequence[str],
    fit: FitFunction,
) -> tuple[object, ConformalPredictor, dict[str, object]]:
    """LightGBM on all training clusters, tempered and given sets as the shift test says.

    The temperature is the one fitted on every held-out world's predictions; the conformal
    threshold comes from the (cross-fitted) tempered predictions for held-out worlds, so the
    prediction sets keep their coverage on data from sources the model did not see.
    """
    bins = config.calibration.ece_bins
    conformal = ConformalPredictor.fit(
        shift.tempered, shift.y, classes, config.conformal.coverage, config.conformal.method
    )
    model = TemperatureScaled(fit(train), shift.temperature)
    facts = {
        "n_estimators": _n_trees(model),
        "calibrated": False,
        "calibration_tried": True,
        "ece_uncalibrated": expected_calibration_error(shift.y, shift.proba, classes, bins),
        "ece_calibrated": expected_calibration_error(shift.y, shift.tempered, classes, bins),
        "temperature": shift.temperature,
    }
    return model, conformal, facts


def _n_trees(model) -> int:
    return int(lightgbm_step(model).n_estimators)


def train_and_evaluate(
    split: HoldoutSplit,
    config: ModelConfig,
    rules: RulesConfig,
    feature_ids: Sequence[str],
    classes: Sequence[str],
    expert: ExpertRows | None = None,
) -> TrainingResult:
    """Cross-validate every candidate, fit the served model and baselines, grade on holdout.

    Every model is fitted on the same training clusters (and the ``expert`` rows, when given)
    and graded on the same folds and the same held-out clusters; expert clusters are graded
    each by a refit without it (``expert.py``).
    """
    train, holdout = split.train, _scored(split.holdout, config)
    sources, bins = config.evaluation.evaluation_sources, config.calibration.ece_bins
    folds = grouped_folds(train.y, train.groups, config.evaluation.cv_folds, config.random_state)
    extra = None if expert is None else expert.data
    fitters = {
        name: with_rows(fit, extra)
        for name, fit in candidate_fitters(config, rules, feature_ids, classes).items()
    }
    scored = train.scored(sources)
    evaluations: dict[str, dict[str, Evaluation]] = {}
    fitted: dict[str, object] = {}
    oof = out_of_fold_proba(fitters[LIGHTGBM], train, folds, classes)
    shift = shift_test(
        train,
        fitters,
        classes,
        sources,
        feature_ids,
        config.trust.distance_quantile,
        config.evaluation.shift_min_clusters,
        bins,
        config.trust.importance_share,
    )
    if shift is None:
        model, conformal, facts = fit_served_model(
            train, folds, oof, config, feature_ids, classes, extra
        )
    else:
        model, conformal, facts = fit_tempered_model(
            train, shift, config, classes, fitters[LIGHTGBM]
        )
    if config.conformal.scheme == "cross" and facts["calibrated"]:
        lightgbm_cv = evaluate_proba(facts["held_back_y"], facts["held_back_proba"], classes, bins)
    else:
        t = facts.get("temperature", 1.0)
        cv_proba = apply_temperature(oof[scored], t)
        lightgbm_cv = evaluate_proba(train.y.iloc[scored], cv_proba, classes, bins)
    evaluations[LIGHTGBM] = {"cv": lightgbm_cv}
    fitted[LIGHTGBM] = model
    for name, fit in fitters.items():
        if name == LIGHTGBM:
            continue
        evaluations[name] = {"cv": cross_validate(fit, train, folds, classes, sources, bins)}
        fitted[name] = fit(train)
    holdout_proba: dict[str, np.ndarray] = {}
    for name, estimator in fitted.items():
        holdout_proba[name] = predict_proba_ordered(estimator, holdout.X, classes)
        evaluations[name]["holdout"] = evaluate_proba(
            holdout.y, holdout_proba[name], classes, bins
        )
    if shift is not None:
        for name, evaluation in shift.evaluations.items():
            evaluations[name]["shift"] = evaluation
    coverage = coverage_report(conformal.membership(holdout_proba[LIGHTGBM]), holdout.y, classes)
    watched = important_features(model, feature_ids, config.trust.importance_share)
    support = fit_support(
        train.X,
        watched,
        train.groups,
        config.trust.distance_quantile,
        seed=config.random_state,
    )
    holdout_flagged = distances(holdout.X, support) > support["threshold"]
    gallery: dict[str, pd.DataFrame] = {}
    real_source = None
    if expert is not None and expert.data.groups.nunique() > 1:
        refits = {
            **candidate_fitters(config, rules, feature_ids, classes),
            LIGHTGBM: refit_lightgbm(model, config, feature_ids),
        }
        temperature = float(facts.get("temperature", 1.0))
        gallery = grade_expert(expert, train, refits, conformal, support, temperature, classes)
        for name, table in gallery.items():
            proba = table[[f"p_{c}" for c in classes]].to_numpy()
            graded = evaluate_proba(table["documented"], proba, classes, bins)
            graded.metrics.update(gallery_metrics(table, classes))
            evaluations[name]["gallery"] = graded
        real_source, check = estimate_on_expert(
            train.X,
            expert,
            gallery[LIGHTGBM],
            distances(expert.data.X, support) > support["threshold"],
            low_trust_ratio(shift, classes),
            classes,
            feature_ids,
            config.random_state,
        )
        evaluations[LIGHTGBM]["gallery"].metrics.update(check)
        evaluations[LIGHTGBM]["gallery"].metrics.update(
            gallery_alone(refits["logistic"], expert, classes),
            source_auc=source_separability(
                train.X, train.groups, expert.data.X, expert.data.groups, feature_ids
            ),
        )
        evaluations[LIGHTGBM]["holdout"].metrics["real_source_factor_mean"] = float(
            real_source.factors(holdout.X).mean()
        )
    return TrainingResult(
        model=model,
        conformal=conformal,
        classes=tuple(classes),
        feature_ids=tuple(feature_ids),
        n_estimators=int(facts["n_estimators"]),
        calibrated=bool(facts["calibrated"]),
        calibration_tried=bool(facts["calibration_tried"]),
        ece_uncalibrated=float(facts["ece_uncalibrated"]),
        ece_calibrated=float(facts["ece_calibrated"]),
        evaluations={name: evaluations[name] for name in fitters},
        holdout_coverage=coverage,
        split=split,
        baselines={k: v for k, v in fitted.items() if k != LIGHTGBM},
        shift=shift,
        temperature=float(facts.get("temperature", 1.0)),
        support=support,
        holdout_flags=flag_summary(holdout.y, holdout_proba[LIGHTGBM], classes, holdout_flagged),
        gallery=gallery,
        real_source=None if real_source is None else real_source.as_dict(),
    )


def refit_lightgbm(model, config: ModelConfig, feature_ids: Sequence[str]) -> FitFunction:
    """LightGBM with the served model's hyper-parameters and number of trees (no search)."""
    fixed = config.with_lightgbm(n_estimators=_n_trees(model), early_stopping_rounds=None)
    return lightgbm_fitter(fixed, feature_ids)


def grade_expert(
    expert: ExpertRows,
    train: LabelledData,
    fitters: dict[str, FitFunction],
    conformal: ConformalPredictor,
    support: dict,
    temperature: float,
    classes: Sequence[str],
) -> dict[str, pd.DataFrame]:
    """Every candidate's leave-one-cluster-out answers for the expert rows (``gallery.csv``).

    LightGBM's probabilities are tempered as served and given the served prediction sets; a
    row is flagged when it is ``low_trust`` (far from the training data) or of low confidence
    (three or more paths in its set), as scoring flags it. Baselines share LightGBM's flags.
    """
    truth = np.array([classes.index(p) for p in expert.data.y])
    low_trust = distances(expert.data.X, support) > support["threshold"]
    tables: dict[str, pd.DataFrame] = {}
    flagged = low_trust
    for name in [LIGHTGBM, *(n for n in fitters if n != LIGHTGBM)]:
        proba = leave_one_cluster_out(fitters[name], train, expert.data, classes)
        if name == LIGHTGBM:
            proba = apply_temperature(proba, temperature)
        member = conformal.membership(proba)
        if name == LIGHTGBM:
            flagged = low_trust | (member.sum(axis=1) >= 3)
        in_set = member[np.arange(len(truth)), truth]
        table = gallery_table(expert, proba, classes, in_set, flagged)
        table["prediction_set"] = ["|".join(np.asarray(classes)[row]) for row in member]
        tables[name] = table
    return tables


def low_trust_ratio(shift: ShiftResult | None, classes: Sequence[str]) -> float:
    """The held-out worlds' accuracy over confidence of ``low_trust`` rows (1 without)."""
    if shift is None:
        return 1.0
    corrections = estimate_corrections(
        shift.per_world, shift.tempered, shift.y, shift.flagged, classes
    )
    return corrections["low_trust_confidence_ratio"]
