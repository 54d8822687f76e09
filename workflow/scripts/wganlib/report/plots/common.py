"""What every figure shares: the models' colours, the usual orders, layout helpers, and saving
a figure as PNG and PDF."""

from __future__ import annotations

import logging
import math
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from wganlib.common.io import atomic_path
from wganlib.plan.objectives import MODELS
from wganlib.verdicts.runs import as_float

log = logging.getLogger(__name__)

PathLike = str | os.PathLike
# Okabe-Ito: distinguishable with the common colour-vision deficiencies (the model table's colours).
MODEL_COLOURS = {name: row.colour for name, row in MODELS.items()}
SPARE_COLOURS = ("#56B4E9", "#F0E442", "#000000")  # for a name the table lacks
DIVERGED_COLOUR = "#D55E00"
MISSING_FACE = "#F2F2F2"
FID_COLOUR = "#333333"
MODEL_ORDER = tuple(MODELS)  # the table's order
ARCHITECTURE_ORDER = ("conv", "conv-nobn", "conv-bn-first", "mlp")
MAX_POINTS_PER_LINE = 2000  # enough for the eye; keeps the PDFs small
DPI = 150


def model_colour(model: str) -> str:
    if model in MODEL_COLOURS:
        return MODEL_COLOURS[model]
    return SPARE_COLOURS[sum(map(ord, str(model))) % len(SPARE_COLOURS)]


def _ordered(values: Iterable[Any], preferred: Sequence[Any]) -> list:
    """Known names in their usual order first, then the others (user-defined) as they came."""
    seen = list(dict.fromkeys(v for v in values if v is not None))
    return [v for v in preferred if v in seen] + [v for v in seen if v not in preferred]


def _seed_key(item: Mapping) -> tuple:
    seed = item.get("seed")
    return (seed is None, as_float(seed) if not math.isnan(as_float(seed)) else 0, str(seed))


def _dataset_suffix(items: Iterable[Mapping]) -> str:
    datasets = list(dict.fromkeys(i.get("dataset") for i in items if i.get("dataset")))
    return f" ({', '.join(datasets)})" if datasets else ""


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_POINTS_PER_LINE:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS_PER_LINE).astype(int))
    return x[keep], y[keep]


def _save(fig: Figure, out_png: PathLike, out_pdf: PathLike) -> None:
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    with atomic_path(out_pdf) as tmp:
        fig.savefig(tmp, format="pdf")
    log.info("wrote %s and %s", out_png, out_pdf)


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """Break ``text`` so it fits ``width_in`` inches (an average glyph is ~0.55 em wide)."""
    return textwrap.fill(text, max(20, int(0.92 * width_in * 72 / (0.55 * fontsize))))


def _legend_columns(handles: Sequence, width_in: float, column_in: float = 3.2) -> int:
    return max(1, min(len(handles), int(width_in // column_in)))


def _columns_that_fit(handles: Sequence, width_in: float, fontsize: float = 9.0) -> int:
    """The most legend columns whose labels fit ``width_in`` inches, split as Matplotlib splits
    them (``np.array_split``); a label's mark and padding take ~2.8 em, columns 2 em apart."""
    labels = [len(h.get_label()) for h in handles]
    for ncols in range(len(labels), 1, -1):
        widest = [max(column) for column in np.array_split(labels, ncols)]
        if sum(0.55 * n + 2.8 for n in widest) + 2 * (ncols - 1) <= width_in * 72 / fontsize:
            return ncols
    return 1


def _empty_panel(ax, text: str) -> None:
    ax.set_facecolor(MISSING_FACE)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linestyle("--")
        spine.set_edgecolor("#999999")
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555", fontsize=10)
