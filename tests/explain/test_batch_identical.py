"""The faster batch steps give the outputs of the steps they replaced.

``score_table`` is run twice on the same rows: as it is, and with the previous steps
(``previous_batch.py``) patched in. Probabilities, which now come from the contributions,
agree to rounding; everything else is identical. Rows include every case the steps treat
apart: too few enterprises (no recommendation), missing indicators, profiles far from the
training data (low trust, with their reasons), a tempered model and chunks of 7 rows.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from clusterpath.data.policy import load_policy_corpus
from clusterpath.data.reference import load_reference
from clusterpath.explain import batch, trust
from clusterpath.explain.batch import score_table
from clusterpath.explain.records import Vocabulary
from clusterpath.explain.settings import load_scoring_config
from clusterpath.features.catalogue import load_catalogue
from clusterpath.models.path_model import PathModel
from clusterpath.models.support import feature_ranges, fit_support
from clusterpath.models.temperature import TemperatureScaled
from clusterpath.models.uncertainty import uncertainty
from tests.explain import previous_batch

ROLES = {"recommended": "path", "runner_up": "runner_up"}


@pytest.fixture(scope="module")
def case(small_model):
    """(model, rows to score, vocabulary, config) covering every branch of the steps."""
    pipeline, features, classes, ids = small_model
    support = fit_support(features, list(ids)[:12], features["cluster_id"], 0.9)
    bundle = {
        "estimator": TemperatureScaled(pipeline, 1.7),
        "classes": list(classes),
        "feature_ids": list(ids),
        "conformal": {"method": "lac", "threshold": 0.8},
        "ranges": feature_ranges(features, ids),
        "support": support,
    }
    model = PathModel(bundle)
    rows = features.sample(frac=1.0, random_state=3).reset_index(drop=True)  # unsorted
    rng = np.random.default_rng(11)
    numeric = list(ids)
    rows["n_enterprises"] = rng.integers(10, 400, len(rows)).astype(float)
    rows.loc[rng.choice(len(rows), 15, replace=False), "n_enterprises"] = 4  # too few
    for fid in numeric[:6]:
        rows.loc[rng.choice(len(rows), 10, replace=False), fid] = np.nan
    far = rng.choice(len(rows), 20, replace=False)
    rows.loc[far, numeric[:12]] = rows.loc[far, numeric[:12]] * 40 + 3
    rows["cluster_name"] = "集群"
    config = load_scoring_config()
    vocab = Vocabulary(
        load_catalogue(), load_policy_corpus(), load_reference(), config.holds_back_passages
    )
    return model, rows, vocab, config.model_copy(update={"explain_chunk_rows": 7})


def test_faster_steps_give_identical_outputs(case, monkeypatch):
    model, rows, vocab, config = case
    current = score_table(rows, model, vocab, config, what_if=False)
    flags = current.scores["flag"].value_counts()
    assert flags["insufficient_data"] >= 15 and flags["low_trust"] >= 10  # the cases are there

    monkeypatch.setattr(batch, "LongForm", previous_batch.LongForm)
    monkeypatch.setattr(batch, "drivers_text", previous_batch.drivers_text)
    monkeypatch.setattr(batch, "_drivers_of_chunks", functools.partial(_previous_drivers, model))
    monkeypatch.setattr(
        trust,
        "_unusual_profile",
        lambda X, support, _d: previous_batch.unusual_profile(X, support),
    )
    previous = score_table(rows, model, vocab, config, what_if=False)

    # Probabilities now come from the contributions' sums, not a second pass over the trees:
    # equal to rounding, and every path, set and flag the same.
    pd.testing.assert_frame_equal(current.scores, previous.scores, check_exact=False, rtol=1e-12)
    for column in ("path", "prediction_set", "runner_up", "confidence", "top_drivers"):
        assert list(current.scores[column]) == list(previous.scores[column])
    pd.testing.assert_frame_equal(current.explanations, previous.explanations, check_exact=True)
    assert current.records == previous.records


def _previous_drivers(model, chunks, _classes, X, vocab, config, long):
    """The previous steps: probabilities from the estimator, then contributions and drivers,
    and the long table built at the end from the paths of the scores table (the chunks are
    read and dropped)."""
    for _ in chunks:
        pass
    proba = model.probabilities(X)
    contrib, drivers = previous_batch.contributions_and_drivers(
        model, X, np.argmax(proba, axis=1), vocab, config, batch._drivers
    )
    pred = uncertainty(model.answer(X))
    position = {c: i for i, c in enumerate(model.classes)}
    roles = {role: pred[column].map(position).to_numpy(int) for role, column in ROLES.items()}
    long.whole = (contrib, X, roles)
    return drivers, proba, contrib.base
