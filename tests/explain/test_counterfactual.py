"""The what-if search: every change it reports flips the model, and no nearer one does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterpath.explain.counterfactual import what_would_change
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.uncertainty import uncertainty
from tests.explain.reference_search import reference_search
from tests.model_store import path_model_of


@pytest.fixture(scope="module")
def searched(small_model):
    pipeline, features, classes, ids = small_model
    config = load_scoring_config()
    catalogue = load_catalogue()
    actionable = [i.id for i in catalogue.indicators if i.actionable]
    model = path_model_of(pipeline, classes, ids, features)
    space = model.what_if_space(actionable, [], config.trust)
    X = features[list(ids)].head(30).reset_index(drop=True).astype(float)
    proba = model.probabilities

    pred = pd.DataFrame(proba(X), columns=[f"p_{c}" for c in classes])
    targets = list(uncertainty(pred)["runner_up"])
    found = what_would_change(proba, X, targets, classes, space, config)
    return proba, X, targets, found, space, classes


def test_thresholds_are_the_models_own_splits(small_model):
    pipeline, _, classes, ids = small_model
    thresholds = path_model_of(pipeline, classes, ids).split_thresholds(ids)
    trees = pipeline[-1].booster_.trees_to_dataframe()
    used = set(trees["split_feature"].dropna())
    assert {f for f, t in thresholds.items() if len(t)} == used


def test_search_finds_changes_for_some_rows(searched):
    _, _, _, found, _, _ = searched
    assert sum(f is not None for f in found) >= 3


def test_every_reported_change_makes_the_target_the_recommendation(searched):
    proba, X, targets, found, space, classes = searched
    for row, what_if in enumerate(found):
        if what_if is None:
            continue
        assert what_if.target == targets[row]
        changed = X.iloc[[row]].copy()
        for change in what_if.changes:
            assert change.feature in space.candidates
            assert change.before == X.at[row, change.feature]
            changed[change.feature] = change.after
        p = proba(changed)[0]
        assert classes[int(np.argmax(p))] == what_if.target
        assert p[classes.index(what_if.target)] == pytest.approx(what_if.target_probability)


def test_no_nearer_single_change_flips_the_model(searched):
    """Brute force on a fine grid: nothing closer than the reported change flips the path."""
    proba, X, targets, found, space, classes = searched
    for row, what_if in enumerate(found):
        if what_if is None or len(what_if.changes) != 1:
            continue
        target = classes.index(targets[row])
        for fid, values in space.candidates.items():
            x = X.at[row, fid]
            if np.isnan(x):
                continue
            reach = what_if.distance * space.spread[fid] * (1 - 1e-6)
            lo, hi = max(x - reach, values.min()), min(x + reach, values.max())
            grid = np.linspace(lo, hi, 201)
            trial = pd.DataFrame(
                np.repeat(X.iloc[[row]].to_numpy(), len(grid), 0), columns=X.columns
            )
            trial[fid] = grid
            flipped = np.argmax(proba(trial), axis=1) == target
            assert not flipped.any(), f"row {row}: {fid} flips nearer than {what_if}"


def test_missing_indicators_are_never_moved(small_model):
    pipeline, features, classes, ids = small_model
    config = load_scoring_config()
    actionable = [i.id for i in load_catalogue().indicators if i.actionable]
    model = path_model_of(pipeline, classes, ids, features)
    space = model.what_if_space(actionable, [], config.trust)
    X = features[list(ids)].head(10).reset_index(drop=True).astype(float)
    X[actionable] = np.nan
    proba = model.probabilities

    found = what_would_change(proba, X, [classes[0]] * len(X), classes, space, config)
    assert found == [None] * len(X)


def test_batched_search_matches_the_reference_search(small_model):
    """Same rows, same targets: every change the reference search (the model evaluated at
    each candidate, ring by ring) finds is found at the same distance or nearer."""
    pipeline, features, classes, ids = small_model
    config = load_scoring_config()
    actionable = [i.id for i in load_catalogue().indicators if i.actionable]
    model = path_model_of(pipeline, classes, ids, features)
    space = model.what_if_space(actionable, [], config.trust)
    X = features[list(ids)].reset_index(drop=True).astype(float)
    proba = model.probabilities

    # the runner-up, and for every third row the third most likely path (farther)
    order = np.argsort(-proba(X), axis=1)
    targets = [classes[order[r, 2 if r % 3 == 0 else 1]] for r in range(len(X))]
    found = what_would_change(proba, X, targets, classes, space, config)
    reference = reference_search(proba, X, targets, classes, space, config)
    assert sum(r is not None for r in reference) >= 10
    assert any(r is not None and len(r.changes) == 2 for r in reference)
    for row, (ours, theirs) in enumerate(zip(found, reference, strict=True)):
        if theirs is None:
            continue
        assert ours is not None, f"row {row}: reference found {theirs}"
        assert ours.distance <= theirs.distance * (1 + 1e-9), (row, ours, theirs)
        assert ours.target == theirs.target


def test_forest_arrays_give_the_boosters_raw_scores(small_model):
    pipeline, features, classes, ids = small_model
    X = features[list(ids)].head(40).astype(float).reset_index(drop=True)
    X.iloc[::3, :5] = np.nan  # missing values take each split's default side
    X.iloc[1::3, :5] = 0.0
    forest = path_model_of(pipeline, classes, ids).forest
    raw = pipeline[-1].booster_.predict(X[list(forest.names)], raw_score=True)
    ours = forest.raw_scores(np.ascontiguousarray(X[list(forest.names)].to_numpy()))
    np.testing.assert_allclose(ours, raw, rtol=0, atol=1e-12)
