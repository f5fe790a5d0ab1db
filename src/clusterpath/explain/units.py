"""Indicator values as a reader sees them: in the indicator's own unit, Chinese or English.

How to print a value is catalogue data (``display``): shares and intensities as percentages,
counts as whole numbers, everything else as a decimal followed by its unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from clusterpath.features.catalogue import Indicator

UNIT_ZH = {
    "patents per 100 employees": "件/百人",
    "index 0-1": "",
    "Pareto alpha": "",
    "bits": "比特",
    "links per enterprise": "条/家",
    "transfers per enterprise": "次/家",
    "enterprises": "家",
    "organisations": "家",
    "employees": "人",
    "years": "年",
    "10k CNY per enterprise": "万元/家",
    "ratio": "",
}
UNIT_EN_HIDDEN = {"index 0-1", "Pareto alpha", "ratio"}
MISSING_ZH, MISSING_EN = "无数据", "n/a"


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _whole(value: float) -> str:
    return f"{round(value):,}"


def _decimal(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def number_format(indicator: Indicator) -> Callable[[float], str]:
    """How a present value of ``indicator`` is printed, before its unit."""
    return {"percent": _percent, "integer": _whole}.get(indicator.display, _decimal)


def unit_suffix(indicator: Indicator, lang: str) -> str:
    """What follows the number: `` 家``, `` organisations`` or nothing (percentages carry
    their ``%`` in the number; some units are not shown in English)."""
    if indicator.display == "percent":
        return ""
    if lang == "zh":
        unit = UNIT_ZH.get(indicator.unit, indicator.unit)
    else:
        unit = "" if indicator.unit in UNIT_EN_HIDDEN else indicator.unit
    return f" {unit}".rstrip()


def format_value(value: float | None, indicator: Indicator, lang: str = "en") -> str:
    """``0.021`` of R&D intensity -> ``2.1 %``; missing -> ``n/a`` (``无数据`` in Chinese)."""
    if _is_missing(value):
        return MISSING_ZH if lang == "zh" else MISSING_EN
    return number_format(indicator)(value) + unit_suffix(indicator, lang)


def format_values(values: Sequence[float], indicator: Indicator) -> tuple[list[str], list[str]]:
    """``format_value`` of many values (floats, NaN if missing) of one indicator, in Chinese
    and in English.

    Explanations print every driver's value in both languages; the number is the same in
    both, so it is formatted once and only the unit differs.
    """
    number = number_format(indicator)
    numbers = [None if v != v else number(v) for v in values]  # only NaN differs from itself
    zh, en = unit_suffix(indicator, "zh"), unit_suffix(indicator, "en")
    return (
        [MISSING_ZH if n is None else n + zh for n in numbers],
        [MISSING_EN if n is None else n + en for n in numbers],
    )


def describe_change(indicator: Indicator, before: float, after: float, lang: str = "en") -> str:
    """``raise R&D intensity from 2.1 % to 3.4 %`` / ``将研发强度从2.1 %提高到3.4 %``."""
    a, b = format_value(before, indicator, lang), format_value(after, indicator, lang)
    if lang == "zh":
        verb = "提高" if after > before else "降低"
        return f"将{indicator.name_zh}从{a}{verb}到{b}"
    verb = "raise" if after > before else "lower"
    return f"{verb} {indicator.name_en} from {a} to {b}"
