"""Optuna search over LightGBM hyper-parameters, scored by grouped cross-validated macro-F1.

Only training clusters take part; the holdout stays untouched, so the final held-out grade of
the tuned model is still honest (its cross-validated grade is optimistic by selection).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clusterpath.models.config import ModelConfig
from clusterpath.models.dataset import LabelledData
from clusterpath.models.evaluation import cross_validate
from clusterpath.models.splits import grouped_folds
from clusterpath.models.training import lightgbm_fitter

TrialCallback = Callable[[int, dict[str, float], dict[str, float]], None]


def suggest(trial, config: ModelConfig) -> dict[str, float]:
    """Draw one set of hyper-parameters from the configured ranges."""
    space = config.tuning
    return {
        "learning_rate": trial.suggest_float("learning_rate", *space.learning_rate, log=True),
        "num_leaves": trial.suggest_int("num_leaves", *space.num_leaves),
        "min_child_samples": trial.suggest_int("min_child_samples", *space.min_child_samples),
        "colsample_bytree": trial.suggest_float("colsample_bytree", *space.colsample_bytree),
        "reg_lambda": trial.suggest_float("reg_lambda", *space.reg_lambda),
    }


def tune_lightgbm(
    train: LabelledData,
    config: ModelConfig,
    feature_ids: Sequence[str],
    classes: Sequence[str],
    n_trials: int,
    on_trial: TrialCallback | None = None,
) -> tuple[ModelConfig, dict[str, float]]:
    """Run ``n_trials`` (seeded TPE); return the config with the best parameters and them."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folds = grouped_folds(train.y, train.groups, config.evaluation.cv_folds, config.random_state)
    sources = config.evaluation.evaluation_sources

    def objective(trial) -> float:
        params = suggest(trial, config)
        candidate = config.with_lightgbm(**params)
        evaluation = cross_validate(
            lightgbm_fitter(candidate, feature_ids), train, folds, classes, sources
        )
        if on_trial is not None:
            on_trial(trial.number, params, evaluation.metrics)
        return evaluation.metrics["macro_f1"]

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.random_state)
    )
    study.optimize(objective, n_trials=n_trials)
    best = dict(study.best_params)
    return config.with_lightgbm(**best), best
