"""Figs. 5-7: the final samples, one sheet per architecture (rows) and model (columns)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral

import numpy as np
from matplotlib.figure import Figure

from wganlib.common.images import image_grid, to_uint8

from .common import (
    ARCHITECTURE_ORDER,
    DIVERGED_COLOUR,
    MODEL_ORDER,
    PathLike,
    _dataset_suffix,
    _empty_panel,
    _ordered,
    _save,
    _seed_key,
    _wrap,
    model_colour,
)


def plot_sample_sheet(
    sheets: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    models: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
    ncols: int | None = None,
    max_images: int = 64,
    title: str | None = None,
) -> None:
    """Figs. 5-7: final samples, architectures as rows and models as columns.

    Each sheet: {"model", "architecture", "images"} with images a uint8 (N, h, w) or colour
    (N, h, w, 3) batch or a ready grid (H, W) or (H, W, 3) (at most ``max_images`` shown, ``ncols``
    wide, default square); greyscale drawn in grey, colour as it is; optional
    "experiment", "seed", "status", "diverged_at". Only the lowest
    seed of a cell is drawn; a combination without a sheet is drawn as 'not in grid'.
    """
    models = list(models or _ordered((s.get("model") for s in sheets), MODEL_ORDER))
    architectures = list(architectures or _ordered((s.get("architecture") for s in sheets), ARCHITECTURE_ORDER))
    if not models or not architectures:
        models, architectures = models or ["(none)"], architectures or ["(none)"]
    first = {}
    for sheet in sorted(sheets, key=_seed_key):
        first.setdefault((sheet.get("model"), sheet.get("architecture")), sheet)
    width = 2.7 * len(models) + 0.9
    fig = Figure(figsize=(width, 2.85 * len(architectures) + 0.7), layout="constrained")
    axes = fig.subplots(len(architectures), len(models), squeeze=False)
    for i, architecture in enumerate(architectures):
        for j, model in enumerate(models):
            ax = axes[i, j]
            sheet = first.get((model, architecture))
            if i == 0:
                ax.set_title(model, fontsize=12, fontweight="bold", color=model_colour(model))
            if j == 0:
                ax.set_ylabel(architecture, fontsize=12, fontweight="bold")
            if sheet is None:
                _empty_panel(ax, "not in grid")
                continue
            images = to_uint8(np.asarray(sheet["images"]))
            if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] == 3):
                grid = images
            else:  # square by default, as the training snapshots
                batch = images[:max_images]
                grid = image_grid(batch, ncols or math.ceil(math.sqrt(len(batch))))
            if grid.ndim == 2:
                ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            else:  # RGB as it is: a colour map would only be ignored
                ax.imshow(grid, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            caption = str(sheet.get("experiment") or f"{model}-{architecture}")
            if sheet.get("status") == "diverged":
                where = sheet.get("diverged_at")
                caption += f"\ndiverged at {int(where):,}" if isinstance(where, Integral) else "\ndiverged"
                ax.set_xlabel(caption, fontsize=9, color=DIVERGED_COLOUR)
                for spine in ax.spines.values():
                    spine.set_edgecolor(DIVERGED_COLOUR)
                    spine.set_linewidth(2)
            else:
                ax.set_xlabel(caption, fontsize=9)
    title = title or "Figs. 5-7: final samples by generator architecture and model"
    fig.suptitle(_wrap(title + _dataset_suffix(sheets), width, 13), fontsize=13)
    _save(fig, out_png, out_pdf)
