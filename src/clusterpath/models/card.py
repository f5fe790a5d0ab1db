"""The model card: what a trained model is for, what it learned from and how well it does.

The wording is a template declared in ``models/model_card.md.j2``; this module only gathers
the facts of one training run into plain values and fills the template in, so the text can
change without touching code. ``clusterpath train`` logs the result as ``model_card.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import jinja2
import pandas as pd

from clusterpath.models.evaluation import Evaluation
from clusterpath.models.training import TrainingResult
from clusterpath.resources import Declared, locate

CARD_FILE = "model_card.md"


def metric_cell(stages: Mapping[str, Evaluation], stage: str, key: str) -> str:
    """One metric to three decimals, or an en dash where the grade did not run."""
    return f"{stages[stage].metrics[key]:.3f}" if stage in stages else "–"


def comparison_rows(result: TrainingResult) -> list[dict[str, str]]:
    """Every model's macro-F1 and ECE under the three grades, formatted for the card."""
    cells = {
        "cv_f1": ("cv", "macro_f1"),
        "holdout_f1": ("holdout", "macro_f1"),
        "holdout_ece": ("holdout", "ece"),
        "shift_f1": ("shift", "macro_f1"),
        "shift_ece": ("shift", "ece"),
    }
    return [
        {"model": name, **{k: metric_cell(stages, *where) for k, where in cells.items()}}
        for name, stages in result.evaluations.items()
    ]


def card_facts(
    result: TrainingResult,
    counts: pd.DataFrame,
    provenance: Mapping[str, str],
    warnings: Sequence[str],
    model_name: str,
    run_id: str,
) -> dict[str, object]:
    """The values the template names, taken from one training run."""
    train = result.split.train
    return {
        "model_name": model_name,
        "run_id": run_id,
        "classes": list(result.classes),
        "n_indicators": len(result.feature_ids),
        "catalogue_version": provenance.get("catalogue_version", ""),
        "extract_folder": provenance.get("extract_folder", ""),
        "extract_fingerprint": provenance.get("extract_fingerprint", ""),
        "git_commit": provenance.get("git_commit", "unknown"),
        "n_training_clusters": int(train.groups.nunique()),
        "n_worlds": 0 if train.world is None else int(train.world.nunique()),
        "n_holdout_clusters": len(result.holdout_clusters),
        "label_counts": counts.to_dict("records"),
        "comparison": comparison_rows(result),
        "temperature": float(result.temperature),
        "coverage": float(result.conformal.coverage),
        "conformal_method": result.conformal.method,
        "holdout_coverage": float(result.holdout_coverage["coverage"]),
        "mean_set_size": float(result.holdout_coverage["mean_set_size"]),
        "warnings": list(warnings),
    }


def render_card(template: str, facts: Mapping[str, object]) -> str:
    """Fill the template in; a name it uses that ``facts`` lacks is an error, not a blank."""
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return environment.from_string(template).render(**facts)


def model_card(facts: Mapping[str, object]) -> str:
    """The card of one run, from the declared template."""
    template = locate(Declared.MODEL_CARD).read_text(encoding="utf-8")
    return render_card(template, facts)
