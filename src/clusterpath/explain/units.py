"""Indicator values as a reader sees them: in the indicator's own unit, Chinese or English.

How to print a value is catalogue data (``display``): shares and intensities as percentages,
counts as whole numbers, everything else as a decimal followed by its unit.
"""

from __future__ import annotations

import math

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


def format_value(value: float | None, indicator: Indicator, lang: str = "en") -> str:
    """``0.021`` of R&D intensity -> ``2.1 %``; missing -> ``n/a`` (``无数据`` in Chinese)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "无数据" if lang == "zh" else "n/a"
    if indicator.display == "percent":
        return f"{value * 100:.1f} %"
    if indicator.display == "integer":
        number = f"{round(value):,}"
    else:
        number = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    unit = UNIT_ZH.get(indicator.unit, indicator.unit) if lang == "zh" else indicator.unit
    if lang != "zh" and indicator.unit in UNIT_EN_HIDDEN:
        unit = ""
    return f"{number} {unit}".strip()


def describe_change(indicator: Indicator, before: float, after: float, lang: str = "en") -> str:
    """``raise R&D intensity from 2.1 % to 3.4 %`` / ``将研发强度从2.1 %提高到3.4 %``."""
    a, b = format_value(before, indicator, lang), format_value(after, indicator, lang)
    if lang == "zh":
        verb = "提高" if after > before else "降低"
        return f"将{indicator.name_zh}从{a}{verb}到{b}"
    verb = "raise" if after > before else "lower"
    return f"{verb} {indicator.name_en} from {a} to {b}"
