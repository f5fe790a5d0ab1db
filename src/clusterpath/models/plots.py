"""Figures of an evaluation (confusion matrix, reliability curve), built without pyplot.

``matplotlib.figure.Figure`` renders with the Agg canvas on save, so no backend or global
state is touched. Path codes (ASCII) label the axes, so no CJK font is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure


def confusion_figure(confusion: pd.DataFrame, title: str = "held-out confusion") -> Figure:
    """Counts with true paths as rows; each cell annotated, colour by row share."""
    counts = confusion.to_numpy()
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    labels = list(confusion.columns)
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right")
    ax.set_yticks(range(len(confusion.index)), list(confusion.index))
    ax.set_xlabel("predicted path")
    ax.set_ylabel("true path")
    ax.set_title(title)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            colour = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=colour)
    fig.colorbar(image, ax=ax, label="share of the true path's rows")
    return fig


def reliability_figure(curves: dict[str, pd.DataFrame], title: str = "calibration") -> Figure:
    """Top-label accuracy against mean confidence per bin, one line per labelled table."""
    fig = Figure(figsize=(5.5, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    for label, bins in curves.items():
        used = bins[bins["n"] > 0]
        ax.plot(used["confidence"], used["accuracy"], marker="o", label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean top-label confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def shap_summary_figure(
    mean_abs: pd.DataFrame, top: int = 15, title: str = "global SHAP importance"
) -> Figure:
    """Mean |SHAP| per indicator, stacked by path, for the ``top`` most important indicators.

    ``mean_abs`` has indicators as rows and paths as columns (``Contributions.mean_abs``).
    """
    order = mean_abs.sum(axis=1).sort_values(ascending=True).tail(top)
    shown = mean_abs.loc[order.index]
    fig = Figure(figsize=(7.5, 0.35 * len(shown) + 1.6), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(shown))
    for path in shown.columns:
        ax.barh(shown.index, shown[path], left=left, label=path)
        left += shown[path].to_numpy()
    ax.set_xlabel("mean |SHAP| (raw score), summed over paths")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def drift_figure(indicators: list[dict], top: int = 15, title: str = "drift") -> Figure:
    """The ``top`` indicators of a monitoring document by drift statistic, as bars over
    their limit (red: flagged drifted)."""
    rows = sorted(
        (r for r in indicators if r["statistic"] is not None),
        key=lambda r: -r["statistic"] / r["limit"],
    )[:top][::-1]
    fig = Figure(figsize=(6.0, 0.28 * max(len(rows), 3) + 1.0), layout="constrained")
    ax = fig.subplots()
    names = [r["indicator"] for r in rows]
    ratio = [r["statistic"] / r["limit"] for r in rows]
    colours = ["#c0392b" if r["drifted"] else "#7f8c8d" for r in rows]
    ax.barh(range(len(rows)), ratio, color=colours)
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.set_xlabel("drift statistic / limit (above 1: drifted)")
    ax.set_title(title)
    return fig
