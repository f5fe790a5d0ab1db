"""Optuna search: seeded, reports each trial, returns a config carrying the best parameters."""

from __future__ import annotations

from clusterpath.models.dataset import join_labels
from clusterpath.models.training import split_holdout
from clusterpath.models.tuning import tune_lightgbm


def test_tuning_reports_every_trial_and_returns_the_best(
    synthetic, config, feature_ids, path_codes
):
    features, labels = synthetic
    fast = config.with_lightgbm(n_estimators=40)
    data = join_labels(features, labels, feature_ids, fast.label_weights)
    train = split_holdout(data, fast).train
    seen = []
    tuned, best = tune_lightgbm(
        train, fast, feature_ids, path_codes, 2, lambda n, p, m: seen.append((n, p, m))
    )
    assert [n for n, _, _ in seen] == [0, 1]
    best_trial = max(seen, key=lambda t: t[2]["macro_f1"])
    assert best == best_trial[1]
    assert tuned.lightgbm.num_leaves == best["num_leaves"]
    low, high = fast.tuning.learning_rate
    assert low <= tuned.lightgbm.learning_rate <= high
