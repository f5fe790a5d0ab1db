"""TreeSHAP contributions as one array per row, path and indicator, in the model's path order.

The values are in the model's raw-score (log-odds) space: for each row and path, the
contributions plus the path's base value add up to that path's raw score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Contributions:
    """SHAP values ``values[row, path, feature]`` and the base value ``base[row, path]``."""

    values: np.ndarray
    base: np.ndarray
    classes: tuple[str, ...]
    feature_ids: tuple[str, ...]

    def raw_scores(self) -> np.ndarray:
        """Per row and path, the raw score the contributions add up to."""
        return self.values.sum(axis=2) + self.base

    def mean_abs(self) -> pd.DataFrame:
        """Mean |SHAP| per feature (rows) and path (columns): the global importance."""
        return pd.DataFrame(
            np.abs(self.values).mean(axis=0).T, index=self.feature_ids, columns=self.classes
        )

    def head(self, n: int) -> Contributions:
        """The first ``n`` rows, as views."""
        return Contributions(self.values[:n], self.base[:n], self.classes, self.feature_ids)


def empty_contributions(
    n_rows: int, classes: Sequence[str], feature_ids: Sequence[str]
) -> Contributions:
    """Zero contributions for ``n_rows`` rows, to be filled in place (a path the booster
    never learned keeps its zeros)."""
    k, f = len(classes), len(feature_ids)
    return Contributions(
        np.zeros((n_rows, k, f)), np.zeros((n_rows, k)), tuple(classes), tuple(feature_ids)
    )
