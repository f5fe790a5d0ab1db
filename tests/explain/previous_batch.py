"""The batch scoring steps as they were before they were made faster, kept for one test.

``tests/explain/test_batch_identical.py`` runs ``score_table`` with these in place of the
current steps and asserts every output is identical. Nothing else uses them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy.special import ndtr

from clusterpath.explain.drivers import RankedDrivers, path_shap, split_rows
from clusterpath.explain.trust import _share
from clusterpath.models.contributions import Contributions, empty_contributions
from clusterpath.models.support import distance_percentile, distances, normal_scores


def drivers_text(ranked: RankedDrivers) -> list[str]:
    feature, _, shap, counts = ranked.flat()
    ids = ranked.feature_ids
    parts = [f"{ids[j]} {s:+.3f}" for j, s in zip(feature.tolist(), shap.tolist(), strict=True)]
    return ["; ".join(row) for row in split_rows(parts, counts)]


def long_form(
    contrib: Contributions, X: pd.DataFrame, keys: pd.DataFrame, roles: dict[str, np.ndarray]
) -> pd.DataFrame:
    n, f, r = len(keys), len(contrib.feature_ids), len(roles)
    values = X.reindex(columns=list(contrib.feature_ids)).to_numpy(float)
    shap = np.stack([path_shap(contrib, idx) for idx in roles.values()], axis=1)
    path_codes = np.stack(list(roles.values()), axis=1)
    cluster = pd.Categorical(keys["cluster_id"].astype(str))
    return pd.DataFrame(
        {
            "cluster_id": pd.Categorical.from_codes(
                np.repeat(cluster.codes, r * f), cluster.categories
            ),
            "year": np.repeat(keys["year"].to_numpy(), r * f),
            "role": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(r), f), n), list(roles)),
            "path": pd.Categorical.from_codes(np.repeat(path_codes.ravel(), f), contrib.classes),
            "feature": pd.Categorical.from_codes(
                np.tile(np.arange(f), n * r), contrib.feature_ids
            ),
            "value": np.repeat(values, r, axis=0).ravel(),
            "shap": shap.ravel(),
        }
    )


class LongForm:
    """``drivers.LongForm`` as it was used: nothing per chunk, the whole table at the end
    (``whole`` is set by the test's previous contributions step)."""

    def __init__(self, keys, classes, feature_ids, roles):
        self.keys, self.whole = keys, None

    def fill(self, *args) -> None:
        raise AssertionError("the previous steps build the table at the end")

    def frame(self) -> pd.DataFrame:
        contrib, X, roles = self.whole
        return long_form(contrib, X, self.keys, roles)


def tree_contributions(model, X: pd.DataFrame) -> Contributions:
    frame = X.reindex(columns=list(model.feature_ids)).astype("float64")
    out = empty_contributions(len(frame), model.classes, model.feature_ids)
    return model.contributions_into(frame.to_numpy(), out)


def contributions_in_chunks(model, X: pd.DataFrame, rows: int) -> Iterator[Contributions]:
    starts = list(range(0, len(X), rows)) or [0]

    def chunk(start: int) -> Contributions:
        return tree_contributions(model, X.iloc[start : start + rows])

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(chunk, starts[0])
        for start in starts[1:]:
            ready, pending = pending.result(), pool.submit(chunk, start)
            yield ready
        yield pending.result()


def contributions_and_drivers(model, X, rec, vocab, config, drivers):
    """``batch._contributions_and_drivers`` as it was; ``drivers`` is ``batch._drivers``."""
    parts, text, pro, con = [], [], [], []
    for part in contributions_in_chunks(model, X, config.explain_chunk_rows):
        at = slice(len(text), len(text) + len(part.values))
        chunk = drivers(part, rec[at], X.iloc[at], vocab, config)
        parts.append(part)
        text += chunk.text
        pro += chunk.pro
        con += chunk.con
    joined = Contributions(
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.base for p in parts]),
        parts[0].classes,
        parts[0].feature_ids,
    )
    return joined, type(chunk)(text, pro, con)


def unusual_indicators(X: pd.DataFrame, support: Mapping, rows: np.ndarray, top: int = 3):
    Z = normal_scores(X.iloc[rows], support) - np.asarray(support["location"])
    ids = support["feature_ids"]
    order = np.argsort(-np.abs(Z), axis=1)[:, :top]
    return [
        [(ids[j], float(ndtr(Z[r, j] + support["location"][j]))) for j in order[r]]
        for r in range(len(rows))
    ]


def unusual_profile(X: pd.DataFrame, support: Mapping) -> dict[int, str]:
    d = distances(X, support)
    rows = np.flatnonzero(d > support["threshold"])
    if not len(rows):
        return {}
    percentile = distance_percentile(d[rows], support)
    reasons = {}
    for row, share, extremes in zip(
        rows.tolist(), percentile.tolist(), unusual_indicators(X, support, rows), strict=True
    ):
        named = ", ".join(
            f"{fid} {X[fid].iloc[row]:.4g} ({'above' if p >= 0.5 else 'below'} "
            f"{_share(p if p >= 0.5 else 1 - p)} of training)"
            for fid, p in extremes
        )
        reasons[row] = (
            f"unusual profile: farther from the training data than {_share(share)} of "
            f"training cluster-years; most unusual: {named}"
        )
    return reasons
