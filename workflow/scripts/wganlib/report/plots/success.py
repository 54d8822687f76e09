"""The random-architecture sweep at a glance (Gulrajani et al. 2017, Table 2, per architecture):
which model succeeded on which architecture, and the final samples of the architectures where the
models disagree, the ones that decide the "at least as many" claim."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from wganlib.common.images import image_grid, to_uint8
from wganlib.plan.architectures import PREFIX
from wganlib.plan.objectives import GAN, WGAN, WGAN_GP
from wganlib.verdicts import robustness

from .common import (
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

FAILED_FACE = "#FFFFFF"
MISSING_FACE = "#DDDDDD"
SPLIT_COLOUR = "#000000"  # the discordant architectures: framed, their labels bold
PANEL_IN = 1.3  # one sample sheet's side, inches


def _counts(cells: Mapping[str, Mapping], first: str, second: str) -> str:
    """The claim's pairing in words: where ``first`` and ``second`` both have a judged run."""
    pairs = [c for c in cells.values() if c.get(first) is not None and c.get(second) is not None]
    if not pairs:
        return ""
    only_second = sum(c[second] and not c[first] for c in pairs)
    only_first = sum(c[first] and not c[second] for c in pairs)
    both = sum(c[first] and c[second] for c in pairs)
    return (
        f"{second} against {first} on {len(pairs)}: only {second} {only_second}, only {first} {only_first}, "
        f"both {both}, neither {len(pairs) - only_second - only_first - both}"
    )


def _table(ax, cells: Mapping[str, Mapping], models: Sequence[str], split: set[str]) -> None:
    """Models as rows, architectures as columns: a filled cell succeeded, an empty one failed, a
    grey one has no judged run; the discordant architectures' columns framed."""
    names = list(cells)
    for j, architecture in enumerate(names):
        for i, model in enumerate(models):
            ok = cells[architecture].get(model)
            face = MISSING_FACE if ok is None else model_colour(model) if ok else FAILED_FACE
            ax.add_patch(Rectangle((j - 0.42, i - 0.42), 0.84, 0.84, facecolor=face, edgecolor="#777777", lw=0.6))
        if architecture in split:
            frame = Rectangle((j - 0.5, -0.55), 1.0, len(models) + 0.1, fill=False, edgecolor=SPLIT_COLOUR, lw=1.8)
            ax.add_patch(frame)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(len(models) - 0.45, -0.65)
    ax.set_yticks(range(len(models)), models)
    ax.set_xticks(range(len(names)), [n.removeprefix(PREFIX) for n in names], fontsize=7)
    ax.tick_params(axis="x", labelrotation=90 if len(names) > 24 else 0, length=0)
    ax.tick_params(axis="y", length=0)
    for label in ax.get_xticklabels():
        if f"{PREFIX}{label.get_text()}" in split:
            label.set_color(SPLIT_COLOUR)
            label.set_fontweight("bold")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel(f"random architecture ({PREFIX}NN; summary.md lists each)")


def _sheet(ax, sheet: Mapping | None, model: str, architecture: str, ok: bool | None, max_images: int) -> None:
    mark = {True: "succeeded", False: "failed", None: "not judged"}[ok]
    ax.set_title(f"{architecture} {model}\n{mark}", fontsize=8, color=model_colour(model) if ok else "#555555")
    if sheet is None or sheet.get("images") is None:
        _empty_panel(ax, "no samples\nin the run files")
        ax.texts[-1].set_fontsize(7)
        return
    images = to_uint8(np.asarray(sheet["images"]))[:max_images]
    grid = image_grid(images, math.ceil(math.sqrt(len(images)))) if images.ndim >= 3 and len(images) else images
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_success(
    rows: Sequence[Mapping],
    sheets: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    fid_level: float,
    min_modes: int,
    models: Sequence[str] | None = None,
    per_row: int = 4,
    max_images: int = 36,
) -> None:
    """The sweep's success table, per architecture each model's success (its seeds' majority,
    ``robustness.per_model``: snapshot FID <= ``fid_level`` held to the next snapshot and >=
    ``min_modes`` classes at the end), then the sample sheets of the architectures where the
    judged models disagree (``robustness.discordant``), ``per_row`` architectures to a row.

    ``rows`` are ``runs.summary_rows``' rows; ``sheets`` {"model", "architecture", "seed",
    "images"} as ``plot_sample_sheet`` takes them (the lowest seed drawn); an architecture's run
    without one is drawn as 'no samples in the run files'."""
    random_rows = [r for r in rows if robustness.is_random(r.get("architecture"))]
    models = list(models or _ordered((r.get("model") for r in random_rows), MODEL_ORDER)) or ["(none)"]
    by_key = robustness.per_model(random_rows, fid_level, min_modes, tuple(models))
    cells = {architecture: cell for (_, architecture), cell in by_key.items()}  # one dataset per figure
    split = {a for a, cell in cells.items() if robustness.discordant(cell)}
    first = {}
    for sheet in sorted(sheets, key=_seed_key):
        first.setdefault((sheet.get("model"), sheet.get("architecture")), sheet)
    per_row = max(1, per_row)
    shown = [a for a in cells if a in split]
    sheet_rows = max(1, math.ceil(len(shown) / per_row))
    width = max(8.0, 0.2 * len(cells) + 2.0, per_row * len(models) * PANEL_IN + 0.8)
    table_in, sheets_in = 0.4 * len(models) + 2.6, sheet_rows * (PANEL_IN + 0.5) + 0.6
    fig = Figure(figsize=(width, table_in + sheets_in), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[table_in, sheets_in])
    _table(top.subplots(), cells, models, split)
    pairs = [_counts(cells, a, b) for a, b in ((GAN, WGAN), (GAN, WGAN_GP)) if {a, b} <= set(models)]
    title = f"Which model succeeded on which random architecture{_dataset_suffix(random_rows)}"
    note = (
        f"success: snapshot FID <= {fid_level:g} confirmed by the next snapshot and >= {min_modes} classes at the "
        f"end, each model by the majority of its seeds; {'; '.join(p for p in pairs if p) or 'no pair judged'}"
    )
    top.suptitle("\n".join([_wrap(title, width, 13), _wrap(note, width, 9.5)]), fontsize=11)
    handles = [Patch(facecolor=model_colour(m), edgecolor="#777777", label=f"{m} succeeded") for m in models]
    handles += [
        Patch(facecolor=FAILED_FACE, edgecolor="#777777", label="failed"),
        Patch(facecolor=MISSING_FACE, edgecolor="#777777", label="no judged run"),
        Patch(fill=False, edgecolor=SPLIT_COLOUR, lw=1.8, label=f"the models disagree ({len(split)}): samples below"),
    ]
    top.legend(handles=handles, loc="outside lower center", frameon=False, fontsize=8, ncols=min(len(handles), 6))
    if not shown:
        ax = bottom.subplots()
        _empty_panel(ax, "no architecture where the models disagree" if cells else "no random architecture judged")
    else:
        axes = bottom.subplots(sheet_rows, per_row * len(models), squeeze=False)
        for k, ax in enumerate(axes.flat):
            slot, m = divmod(k, len(models))
            if slot >= len(shown):
                ax.set_axis_off()
                continue
            architecture, model = shown[slot], models[m]
            _sheet(
                ax, first.get((model, architecture)), model, architecture, cells[architecture].get(model), max_images
            )
        bottom.suptitle("Final samples of the architectures where the models disagree", fontsize=11)
    _save(fig, out_png, out_pdf)
