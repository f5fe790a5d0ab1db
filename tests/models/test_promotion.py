"""Champion promotion on a local SQLite registry: strictly better takes champion; a tie, not."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from clusterpath.models.dataset import join_labels
from clusterpath.models.evaluation import macro_f1
from clusterpath.models.path_model import PathModel
from clusterpath.models.pipeline import build_pipeline
from clusterpath.models.support import feature_ranges
from clusterpath.models.tracking import register_and_promote
from clusterpath.serving.pyfunc import log_path_model, save_bundle
from tests.model_store import new_sqlite_store

pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy")


@pytest.fixture
def registry(tmp_path):
    mlflow.set_tracking_uri(new_sqlite_store(tmp_path))
    experiment = mlflow.create_experiment("p", artifact_location=(tmp_path / "art").as_uri())
    yield experiment
    mlflow.set_tracking_uri(None)


@pytest.fixture
def small_model(tmp_path, synthetic, config, feature_ids, path_codes):
    """A 10-tree bundle saved to disk, its training frame, 60 scoring rows and their score."""
    features, labels = synthetic
    data = join_labels(features, labels, feature_ids, config.label_weights)
    fast = config.with_lightgbm(n_estimators=10, early_stopping_rounds=None)
    bundle = {
        "estimator": build_pipeline(fast, feature_ids).fit(data.X, data.y),
        "classes": list(path_codes),
        "feature_ids": list(feature_ids),
        "conformal": {"method": "lac", "threshold": 0.8},
        "ranges": feature_ranges(data.X, feature_ids),  # the served model's trust flags
    }
    X, y = data.X.head(60), data.y.head(60).tolist()
    score = macro_f1(y, PathModel(bundle).answer(X)["path"].to_numpy(), path_codes)
    return bundle, save_bundle(bundle, tmp_path / "b.joblib"), data.X, X, y, score


def test_tie_stays_challenger_and_strictly_better_takes_champion(
    registry, small_model, path_codes
):
    bundle, path, example, X, y, score = small_model

    def log() -> str:
        with mlflow.start_run(experiment_id=registry):
            return log_path_model(bundle, path, example).model_uri

    first = register_and_promote(log(), "m", X, y, score, path_codes)
    assert (first.alias, first.reason) == ("champion", "no champion yet")
    tie = register_and_promote(log(), "m", X, y, score, path_codes)
    assert tie.alias == "challenger"
    assert tie.champion_score == pytest.approx(score)
    assert tie.champion_version == first.version
    assert "ties" in tie.reason
    better = register_and_promote(log(), "m", X, y, score + 0.01, path_codes)
    assert better.alias == "champion"
    client = MlflowClient()
    assert str(client.get_model_version_by_alias("m", "champion").version) == better.version
    assert str(client.get_model_version_by_alias("m", "challenger").version) == tie.version


def test_a_candidate_worse_under_shift_stays_challenger(registry, small_model, path_codes):
    bundle, path, example, X, y, score = small_model

    def log(shift: float) -> str:
        with mlflow.start_run(experiment_id=registry):
            mlflow.log_metric("shift_macro_f1", shift)
            return log_path_model(bundle, path, example).model_uri

    first = register_and_promote(log(0.80), "s", X, y, score, path_codes, shift_score=0.80)
    assert first.alias == "champion"
    # better on the held-out clusters, worse on worlds it did not train on
    worse = register_and_promote(log(0.75), "s", X, y, score + 0.05, path_codes, shift_score=0.75)
    assert worse.alias == "challenger"
    assert "shift-test macro-F1 0.7500 is below champion" in worse.reason
    better = register_and_promote(log(0.82), "s", X, y, score + 0.05, path_codes, shift_score=0.82)
    assert better.alias == "champion"


def test_a_candidate_less_often_right_on_the_gallery_stays_challenger(
    registry, small_model, path_codes
):
    bundle, path, example, X, y, score = small_model

    def log(clear: float, every: float) -> str:
        with mlflow.start_run(experiment_id=registry):
            mlflow.log_metrics({"gallery_agreement_clear": clear, "gallery_agreement_all": every})
            return log_path_model(bundle, path, example).model_uri

    def gallery(clear: float, every: float) -> dict[str, float]:
        return {"gallery_agreement_clear": clear, "gallery_agreement_all": every}

    first = register_and_promote(
        log(0.8, 0.7), "g", X, y, score, path_codes, gallery_scores=gallery(0.8, 0.7)
    )
    assert first.alias == "champion"
    # better on the simulated held-out clusters, worse on the real ones (all readings)
    worse = register_and_promote(
        log(0.8, 0.6), "g", X, y, score + 0.05, path_codes, gallery_scores=gallery(0.8, 0.6)
    )
    assert worse.alias == "challenger"
    assert "gallery_agreement_all 0.6000 is below 0.7000" in worse.reason
    # a candidate trained without the gallery cannot show it is as good there
    blind = register_and_promote(log(0.8, 0.7), "g", X, y, score + 0.05, path_codes)
    assert blind.alias == "challenger"
    assert "gallery_agreement_clear none" in blind.reason
    better = register_and_promote(
        log(0.85, 0.7), "g", X, y, score + 0.05, path_codes, gallery_scores=gallery(0.85, 0.7)
    )
    assert better.alias == "champion"


def test_gallery_grades_are_compared_only_on_the_same_gallery(registry, small_model, path_codes):
    bundle, path, example, X, y, score = small_model

    def log(every: float, fingerprint: str) -> str:
        with mlflow.start_run(experiment_id=registry):
            mlflow.log_metrics({"gallery_agreement_clear": 0.8, "gallery_agreement_all": every})
            mlflow.set_tag("gallery_fingerprint", fingerprint)
            return log_path_model(bundle, path, example).model_uri

    def promote(every: float, fingerprint: str, held_out: float):
        grades = {"gallery_agreement_clear": 0.8, "gallery_agreement_all": every}
        return register_and_promote(
            log(every, fingerprint),
            "f",
            X,
            y,
            held_out,
            path_codes,
            gallery_scores=grades,
            gallery_fingerprint=fingerprint,
        )

    assert promote(0.7, "aaaa", score).alias == "champion"
    # lower on the same gallery: stays challenger
    same = promote(0.6, "aaaa", score + 0.05)
    assert same.alias == "challenger"
    assert "gallery_agreement_all 0.6000 is below 0.7000" in same.reason
    # lower on a corrected gallery: the grades are not comparable, held-out decides
    other = promote(0.6, "bbbb", score + 0.05)
    assert other.alias == "champion"
    assert "not compared: champion v1 was graded on another gallery" in other.reason
