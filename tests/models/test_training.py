"""Training end to end on a synthetic table: honest splits, grades, calibration, conformal sets."""

from __future__ import annotations

import numpy as np
import pytest

from clusterpath.models.conformal import SET_SEPARATOR
from clusterpath.models.dataset import join_labels
from clusterpath.models.path_model import PathModel
from clusterpath.models.training import LIGHTGBM, split_holdout, train_and_evaluate

pytestmark = pytest.mark.slow  # each module fixture trains and grades every model


@pytest.fixture(scope="module")
def trained(synthetic, config, rules, feature_ids, path_codes):
    features, labels = synthetic
    data = join_labels(features, labels, feature_ids, config.label_weights)
    fast = config.with_lightgbm(n_estimators=150)
    return train_and_evaluate(split_holdout(data, fast), fast, rules, feature_ids, path_codes)


def test_holdout_clusters_never_appear_in_training(trained):
    train_clusters = set(trained.split.train.groups)
    assert train_clusters.isdisjoint(trained.holdout_clusters)
    share = len(trained.holdout_clusters) / (len(train_clusters) + len(trained.holdout_clusters))
    assert share == pytest.approx(0.2, abs=0.05)


def test_comparison_table_has_every_model_and_metric(trained):
    table = trained.comparison
    assert list(table.index) == [LIGHTGBM, "majority", "logistic", "rules"]
    for stage in ("cv", "holdout"):
        for metric in ("macro_f1", "balanced_accuracy", "log_loss", "brier", "ece"):
            assert f"{stage}_{metric}" in table.columns
    assert table.notna().all().all()


def test_lightgbm_beats_the_trivial_baselines(trained):
    table = trained.comparison
    for baseline in ("majority", "rules"):
        assert table.loc[LIGHTGBM, "cv_macro_f1"] > table.loc[baseline, "cv_macro_f1"]
        assert table.loc[LIGHTGBM, "holdout_macro_f1"] > table.loc[baseline, "holdout_macro_f1"]


def test_calibration_decision_is_recorded(trained, config):
    if trained.calibrated:
        assert trained.ece_calibrated < trained.ece_uncalibrated
    if trained.ece_uncalibrated <= config.calibration.ece_threshold:
        assert not trained.calibration_tried


def test_conformal_sets_cover_held_out_clusters_near_the_target(trained):
    coverage = trained.holdout_coverage
    # 16 held-out clusters x 5 years: cluster-level dependence makes this noisy.
    assert coverage["coverage"] >= 0.9 - 0.1
    assert coverage["mean_set_size"] >= 1.0


def test_served_bundle_predicts_paths_probabilities_and_non_empty_sets(trained, path_codes):
    bundle = trained.bundle("1.0")
    out = PathModel(bundle).answer(trained.split.holdout.X)
    expected = ["path", *(f"p_{c}" for c in path_codes), "prediction_set"]
    assert list(out.columns) == expected
    proba = out[[f"p_{c}" for c in path_codes]].to_numpy()
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (out["prediction_set"].str.len() > 0).all()
    for path, members in zip(out["path"], out["prediction_set"], strict=True):
        assert path in members.split(SET_SEPARATOR)
    ranges = bundle["ranges"]["rd_intensity"]
    assert ranges["min"] <= ranges["q05"] <= ranges["q50"] <= ranges["q95"] <= ranges["max"]


def test_split_scheme_also_works(synthetic, config, rules, feature_ids, path_codes):
    features, labels = synthetic
    split_config = config.model_copy(
        update={"conformal": config.conformal.model_copy(update={"scheme": "split"})}
    ).with_lightgbm(n_estimators=60)
    data = join_labels(features, labels, feature_ids, split_config.label_weights)
    result = train_and_evaluate(
        split_holdout(data, split_config), split_config, rules, feature_ids, path_codes
    )
    assert result.conformal.n_calibration < len(result.split.train)
    assert 0.0 < result.holdout_coverage["coverage"] <= 1.0


@pytest.fixture(scope="module")
def trained_in_worlds(synthetic, config, rules, feature_ids, path_codes):
    """The same table with its clusters spread over four worlds, so the shift test runs."""
    import pandas as pd

    features, labels = synthetic
    clusters = sorted(features["cluster_id"].unique())
    worlds = pd.Series({c: f"w{i % 4}" for i, c in enumerate(clusters)})
    data = join_labels(features, labels, feature_ids, config.label_weights, worlds)
    fast = config.with_lightgbm(n_estimators=150)
    result = train_and_evaluate(split_holdout(data, fast), fast, rules, feature_ids, path_codes)
    return result, fast


def test_without_worlds_the_shift_test_is_skipped(trained):
    assert trained.shift is None
    assert not any(c.startswith("shift_") for c in trained.comparison.columns)


def test_shift_test_grades_every_model_on_held_out_worlds(trained_in_worlds):
    from clusterpath.models.temperature import TemperatureScaled
    from clusterpath.pipelines.train import shift_lines

    result, _ = trained_in_worlds
    table = result.comparison
    for metric in ("macro_f1", "balanced_accuracy", "log_loss", "brier", "ece"):
        assert table[f"shift_{metric}"].notna().all()
    assert list(result.shift.per_world.index) == ["w0", "w1", "w2", "w3"]
    assert isinstance(result.model, TemperatureScaled)
    assert result.model.temperature == pytest.approx(result.shift.temperature)
    # the line under the table quotes the table's own shift ECE for the same rows
    assert f"{table.loc[LIGHTGBM, 'shift_ece']:.3f} tempered" in shift_lines(result)[-1]
    assert 0 <= result.shift.flags["flag_rate"] <= 1
    assert result.support["feature_ids"]


def test_a_small_training_set_is_warned_about(trained_in_worlds):
    from clusterpath.pipelines.train import generalisation_warnings

    result, config = trained_in_worlds
    n = result.split.train.groups.nunique()
    warnings = generalisation_warnings(result, config)
    assert any(f"only {n} training clusters (at least 150 advised)" in w for w in warnings)


def test_the_model_card_states_the_runs_own_figures(trained_in_worlds):
    import pandas as pd

    from clusterpath.models.card import card_facts, model_card
    from clusterpath.pipelines.train import generalisation_warnings

    result, config = trained_in_worlds
    counts = pd.DataFrame({"source": ["simulated"], "given": [9], "used": [7]})
    provenance = {"catalogue_version": "9.9", "extract_fingerprint": "f00d"}
    warnings = generalisation_warnings(result, config)
    card = model_card(card_facts(result, counts, provenance, warnings, "paths", "r1"))
    table = result.comparison
    row = (
        f"| {LIGHTGBM} | {table.loc[LIGHTGBM, 'cv_macro_f1']:.3f} "
        f"| {table.loc[LIGHTGBM, 'holdout_macro_f1']:.3f} "
        f"| {table.loc[LIGHTGBM, 'holdout_ece']:.3f} "
        f"| {table.loc[LIGHTGBM, 'shift_macro_f1']:.3f} "
        f"| {table.loc[LIGHTGBM, 'shift_ece']:.3f} |"
    )
    assert row in card
    assert "| simulated | 9 | 7 |" in card
    assert "catalogue 9.9" in card and "`f00d`" in card and "run `r1`" in card
    assert f"T = {result.temperature:.3f}" in card
    assert all(f"- {w}" in card for w in warnings)
    assert f"{result.split.train.groups.nunique()} training clusters in 4 world(s)" in card


def test_the_model_card_template_may_not_name_a_missing_fact():
    import jinja2

    from clusterpath.models.card import render_card

    assert render_card("{{ a }} and {{ b }}", {"a": 1, "b": "x"}) == "1 and x"
    with pytest.raises(jinja2.UndefinedError):
        render_card("{{ a }} and {{ missing }}", {"a": 1})


def test_estimated_accuracy_is_checked_on_every_held_out_world(trained_in_worlds):
    """CBPE's estimate from the tempered probabilities against the actual accuracy of
    each world the model did not see."""
    per_world = trained_in_worlds[0].shift.per_world
    gap = (per_world["estimated_accuracy"] - per_world["actual_accuracy"]).abs()
    assert gap.mean() <= 0.05
    assert per_world["estimate_covers_actual"].sum() >= len(per_world) - 1
    assert (per_world["estimated_accuracy_low"] <= per_world["estimated_accuracy"]).all()


def test_estimate_holds_on_a_labelled_batch_within_its_interval(trained_in_worlds):
    """The served model on held-out clusters (labelled, never fitted): the actual accuracy
    falls inside the interval of the estimate made without the labels."""
    from clusterpath.models.monitoring import estimate_against_actual
    from clusterpath.models.path_model import PathModel

    result, _ = trained_in_worlds
    model = PathModel(result.bundle("1.0"))  # tempered by the shift test's temperature
    holdout = result.split.holdout
    check = estimate_against_actual(model.probabilities(holdout.X), holdout.y, model.classes)
    assert check["rows"] == len(holdout.y)
    assert check["estimate_covers_actual"], check


@pytest.fixture(scope="module")
def trained_with_experts(synthetic, config, rules, feature_ids, path_codes):
    """Six clusters of the synthetic table read as expert labels (a gallery); one indicator
    left unread."""
    import pandas as pd

    from clusterpath.models.expert import ExpertRows

    features, labels = synthetic
    experts = sorted(features["cluster_id"].unique())[:6]
    labels = labels.assign(
        source=np.where(labels["cluster_id"].isin(experts), "expert", "simulated")
    )
    fast = config.with_lightgbm(n_estimators=60).model_copy(
        update={"excluded_indicators": {"n_enterprises": "coverage"}}
    )
    data = join_labels(features, labels, feature_ids, fast.label_weights)
    is_expert = (data.source == "expert").to_numpy()
    expert = ExpertRows(
        data.take(np.flatnonzero(is_expert)), pd.Series(["clear"] * int(is_expert.sum()))
    )
    rest = data.take(np.flatnonzero(~is_expert))
    result = train_and_evaluate(
        split_holdout(rest, fast), fast, rules, feature_ids, path_codes, expert
    )
    return result, experts


def test_expert_clusters_are_trained_on_and_graded_by_every_model(trained_with_experts):
    from rich.console import Console

    from clusterpath.models.pipeline import lightgbm_step
    from clusterpath.pipelines.train import print_summary

    result, experts = trained_with_experts
    assert set(result.gallery) == {LIGHTGBM, "majority", "logistic", "rules"}
    table = result.gallery[LIGHTGBM]
    assert sorted(table["cluster_id"].unique()) == experts and len(table) == 6 * 5
    assert set(result.split.train.groups).isdisjoint(experts)  # graded, never held out
    sets = zip(table["documented"], table["prediction_set"], strict=True)
    in_own_set = [documented in members.split("|") for documented, members in sets]
    assert in_own_set == table["in_set"].tolist()
    for column in ("gallery_agreement_clear", "gallery_agreement_all", "gallery_in_set"):
        assert result.comparison[column].between(0, 1).all()
    # the synthetic paths are well separated: refits without a cluster still read it
    assert result.comparison.loc[LIGHTGBM, "gallery_agreement_all"] > 0.6
    booster = lightgbm_step(result.model).booster_
    splits = dict(zip(booster.feature_name(), booster.feature_importance("split"), strict=True))
    assert splits["n_enterprises"] == 0 and sum(splits.values()) > 0
    # the estimate on the expert rows, each factor from a correction fitted without them
    metrics = result.evaluations[LIGHTGBM]["gallery"].metrics
    assert 0 <= metrics["estimated_accuracy_low"] <= metrics["estimated_accuracy"] <= 1
    assert table["estimate_factor"].between(0, 1).all()
    assert metrics["estimate_gap"] == pytest.approx(
        metrics["estimated_accuracy"] - metrics["agreement_all"]
    )
    reference = result.bundle()["reference"]
    assert reference["real_source"]["real_rows"] == len(table)
    assert set(experts) <= set(reference["trained_on"])
    assert set(result.holdout_clusters).isdisjoint(reference["trained_on"])
    console = Console(record=True, width=100)
    print_summary(console, result, pd_counts())
    text = console.export_text()
    assert "gallery clear" in text and "each cluster left out (logistic)" in text
    assert "without the real-source correction" in text


def pd_counts():
    import pandas as pd

    return pd.DataFrame({"source": ["simulated", "expert"], "given": [1, 1], "used": [1, 1]})
