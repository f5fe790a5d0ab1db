"""What the served model accepts: a table of indicators by name, each value a number or null.

MLflow drops columns a model does not declare without telling the caller and turns every
other failure inside ``predict`` into a generic message with a stack trace. The served model
therefore declares no input schema and checks the request itself, refusing it with a 400
whose message names the column and rows at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

# Columns a caller may send beside the indicators, to keep its rows recognisable; not used.
IDENTIFIERS = ("cluster_id", "year", "cluster_name", "province", "domain")
ROWS_NAMED = 5


class RequestRefused(MlflowException):
    """A request the served model will not score; the message says why, in one line.

    MLflow's scoring server rewrites the message of an exception raised by ``predict`` to
    start with a dump of the request's data; the message here stays the problem alone.
    """

    def __init__(self, problem: str) -> None:
        self._problem = problem
        super().__init__(problem, error_code=INVALID_PARAMETER_VALUE)

    @property
    def message(self) -> str:
        return self._problem

    @message.setter
    def message(self, _text: str) -> None:
        return None


def _rows(positions: Sequence[int]) -> str:
    """``rows 1, 4, 9`` (counted from 1, as a caller reads its own table), at most five."""
    shown = ", ".join(str(p + 1) for p in positions[:ROWS_NAMED])
    more = f" and {len(positions) - ROWS_NAMED} more" if len(positions) > ROWS_NAMED else ""
    return f"row{'s' if len(positions) > 1 else ''} {shown}{more}"


def _is_number(value: object) -> bool:
    return value is None or (isinstance(value, Real) and not isinstance(value, bool))


def _non_numeric(column: pd.Series) -> list[int]:
    """Positions of the values that are neither numbers nor null (text, booleans, lists)."""
    if pd.api.types.is_bool_dtype(column):
        return list(range(len(column)))
    if pd.api.types.is_numeric_dtype(column):
        return []
    return [i for i, value in enumerate(column.tolist()) if not _is_number(value)]


def _problems(frame: pd.DataFrame, feature_ids: Sequence[str]) -> list[str]:
    known = set(feature_ids) | set(IDENTIFIERS)
    unknown = [str(c) for c in frame.columns if c not in known]
    twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if twice:
        return [f"column{'s' if len(twice) > 1 else ''} {', '.join(twice)} sent more than once"]
    problems = []
    if unknown:
        problems.append(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(not among the model's {len(feature_ids)} indicators)"
        )
    for fid in feature_ids:
        if fid in frame.columns:
            bad = _non_numeric(frame[fid])
            if bad:
                example = frame[fid].tolist()[bad[0]]
                problems.append(
                    f"column {fid}: non-numeric value {example!r} in {_rows(bad)} "
                    "(send a number, or null when undefined)"
                )
    return problems


def request_frame(model_input: object, feature_ids: Sequence[str]) -> pd.DataFrame:
    """The request as a float table of the model's indicators in order (absent ones NaN).

    Raises ``RequestRefused`` for anything but a non-empty table with named columns, for
    columns that are not indicators (or identifiers), and for values that are not numbers.
    """
    if isinstance(model_input, dict):
        model_input = pd.DataFrame(model_input)
    if not isinstance(model_input, pd.DataFrame):
        raise RequestRefused(
            "send a table with named columns (dataframe_split or dataframe_records)"
        )
    if not len(model_input):
        raise RequestRefused("empty request: no rows to score")
    problems = _problems(model_input, feature_ids)
    if problems:
        raise RequestRefused("; ".join(problems))
    frame = model_input.reindex(columns=list(feature_ids))
    return frame.apply(pd.to_numeric).astype("float64").reset_index(drop=True)
