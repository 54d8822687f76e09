"""Numbers and Markdown tables as the summary writes them (no pandas, no TensorFlow)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def as_float(value: Any) -> float:
    """A number or NaN (for None, missing or non-numeric values)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def fmt(x: Any, infinite: str = "inf") -> str:
    """Three significant digits; whole numbers >= 1000 with thousands separators."""
    x = as_float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return infinite if x > 0 else "-inf"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in body]
    return lines
