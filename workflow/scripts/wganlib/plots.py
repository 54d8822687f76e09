"""The paper's figures, redrawn from the workflow's files.

- ``plot_em_estimate``: Fig. 3, the critic's EM estimate against generator iterations, with FID.
- ``plot_js_estimate``: Fig. 4, the same for the standard GAN's JS estimate.
- ``plot_sample_sheet``: Figs. 5-7, final samples, architectures x models.
- ``plot_summary``: final FID and modes covered per architecture and model, every seed a dot
  (in the style of Lucic et al. 2018, "Are GANs Created Equal?").
- ``plot_quality_over_compute``: FID over training against generator iterations, critic updates
  and wall-clock seconds, the three axes on which the models' speed can be compared.
- ``plot_robustness``: the random architectures, each model's FID reached and modes per
  architecture against the levels of success (Gulrajani et al. 2017, Table 2).

Inputs are plain structures (run dicts as made by ``runs.load_run`` with the grid's metadata), so
the figures can be tested on synthetic runs. Matplotlib is used through ``Figure`` objects and
the Agg canvas only: no pyplot, no global state.
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from . import robustness
from .images import image_grid, to_uint8
from .io import atomic_path
from .runs import (
    COMPUTE_AXES,
    UNFINISHED,
    as_float,
    compute_at,
    estimate_fid_correlation,
    fid_over_training,
    filtered_estimate,
    metrics_frame,
)

__all__ = [
    "plot_em_estimate",
    "plot_js_estimate",
    "plot_sample_sheet",
    "plot_summary",
    "plot_quality_over_compute",
    "plot_robustness",
    "model_colour",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
MODEL_COLOURS = {"dcgan": "#CC79A7", "wgan": "#0072B2", "wgan-gp": "#009E73"}
SPARE_COLOURS = ("#E69F00", "#56B4E9", "#F0E442", "#000000")
DIVERGED_COLOUR = "#D55E00"
MISSING_FACE = "#F2F2F2"
FID_COLOUR = "#333333"
MODEL_ORDER = ("dcgan", "wgan", "wgan-gp")
ARCHITECTURE_ORDER = ("conv", "conv-nobn", "conv-bn-first", "mlp")
MAX_POINTS_PER_LINE = 2000  # enough for the eye; keeps the PDFs small
DPI = 150


# ---------------------------------------------------------------- shared helpers


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


def _empty_panel(ax, text: str) -> None:
    ax.set_facecolor(MISSING_FACE)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linestyle("--")
        spine.set_edgecolor("#999999")
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555555", fontsize=10)


# ---------------------------------------------------------------- Figs. 3 and 4


def _estimate_figure(
    runs: Sequence[Mapping],
    models: Sequence[str],
    column: str,
    short: str,
    ylabel: str,
    title: str,
    out_png: PathLike,
    out_pdf: PathLike,
    median_window: int,
    architectures: Sequence[str] | None,
) -> None:
    runs = [r for r in runs if r.get("model") in models]
    present = _ordered((r.get("model") for r in runs), models) or list(models)
    architectures = list(architectures or _ordered((r.get("architecture") for r in runs), ARCHITECTURE_ORDER)) or [
        "(none)"
    ]
    nrows, ncols = len(present), len(architectures)
    width = max(8.0, 3.9 * ncols + 0.8)
    fig = Figure(figsize=(width, 3.0 * nrows + 1.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    any_diverged = False
    for i, model in enumerate(present):
        colour = model_colour(model)
        for j, architecture in enumerate(architectures):
            ax = axes[i, j]
            cell = sorted(
                (r for r in runs if r.get("model") == model and r.get("architecture") == architecture), key=_seed_key
            )
            ax.set_title(f"{model}, {architecture}", fontsize=11)
            if not cell:
                _empty_panel(ax, f"no {model} {architecture} run")
                continue
            alpha = 0.9 if len(cell) == 1 else 0.6
            fid_ax, shown, rhos, stops = None, [], [], []
            for run in cell:
                iterations, values = filtered_estimate(metrics_frame(run), column, median_window)
                finite = np.isfinite(values)
                x, y = _thin(iterations[finite], values[finite])
                ax.plot(x, y, color=colour, alpha=alpha, lw=1.3)
                shown.append(y)
                if run.get("status") == "diverged" and len(x):
                    any_diverged = True
                    stops.append((x[-1], y[-1]))
                fid_iterations, fid = fid_over_training(run)
                if len(fid):
                    fid_ax = fid_ax or ax.twinx()
                    fid_ax.plot(
                        fid_iterations, fid, ls="--", marker="o", ms=4, lw=1.0, color=FID_COLOUR, mfc="white", alpha=0.8
                    )
                rhos.append(estimate_fid_correlation(run, column, median_window))
            _robust_ylim(ax, shown)
            for x_stop, y_stop in stops:  # kept inside the axis: a blow-up would be off-scale
                low, high = ax.get_ylim()
                inset = 0.04 * (high - low)
                y_shown = min(max(y_stop, low + inset), high - inset)
                marker = Line2D(
                    [x_stop],
                    [y_shown],
                    marker="x",
                    ms=10,
                    mew=2.5,
                    ls="none",
                    color=DIVERGED_COLOUR,
                    zorder=11,
                    clip_on=False,
                    transform=ax.transData,
                )
                marker.set_in_layout(False)
                (fid_ax or ax).add_artist(marker)  # the top axis: above the FID line and text
            ax.xaxis.set_major_locator(MaxNLocator(5))
            if i == nrows - 1:
                ax.set_xlabel("generator iterations")
            if j == 0:
                ax.set_ylabel(ylabel)
            if fid_ax is not None and j == ncols - 1:
                fid_ax.set_ylabel("FID (dashed; lower is better)")
            (fid_ax or ax).text(
                0.97,
                0.96,
                _rho_text(short, rhos),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
                zorder=10,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#bbbbbb", alpha=0.85),
            )
    handles = [
        Line2D([], [], color=model_colour(m), lw=2, label=f"{m}: {short} estimate (one line per seed)") for m in present
    ]
    handles.append(
        Line2D([], [], color=FID_COLOUR, ls="--", marker="o", ms=4, mfc="white", label="FID at snapshots (right axis)")
    )
    if any_diverged:
        handles.append(
            Line2D(
                [], [], color=DIVERGED_COLOUR, marker="x", ms=9, mew=2.5, ls="none", label="diverged (run stopped here)"
            )
        )
    fig.suptitle(_wrap(title + _dataset_suffix(runs), width, 13), fontsize=13)
    caption = (
        f"Curves: rolling median over {median_window} generator iterations.  "
        f"rho: Spearman correlation of the curve at the FID snapshots with FID, "
        f"per seed (median over seeds if several)."
    )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        frameon=False,
        fontsize=9,
        ncols=_legend_columns(handles, width),
        title=_wrap(caption, width, 9),
        title_fontsize=9,
    )
    _save(fig, out_png, out_pdf)


def _robust_ylim(ax, curves: list[np.ndarray]) -> None:
    """Limits from the 0.5-99.5 percentiles: a diverging run's blow-up must not flatten the rest."""
    values = np.concatenate([c for c in curves if len(c)] or [np.array([])])
    if len(values) < 2:
        return
    low, high = np.percentile(values, [0.5, 99.5])
    if high > low:
        margin = 0.06 * (high - low)
        ax.set_ylim(low - margin, high + margin)


def _rho_text(short: str, rhos: list[float]) -> str:
    finite = [r for r in rhos if not math.isnan(r)]
    if not finite:
        return f"rho({short}, FID): n/a"
    if len(rhos) == 1:
        return f"rho({short}, FID) = {finite[0]:.2f}"
    per_seed = ", ".join("n/a" if math.isnan(r) else f"{r:.2f}" for r in rhos)
    return f"rho({short}, FID): median {np.median(finite):.2f}\nper seed: {per_seed}"


def plot_em_estimate(
    runs: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    median_window: int,
    models: Sequence[str] = ("wgan", "wgan-gp"),
    architectures: Sequence[str] | None = None,
) -> None:
    """Fig. 3: the critic's EM estimate against generator iterations, FID on a second axis.

    One row per model (clipped and penalised critics differ in scale by orders of magnitude),
    one column per architecture.
    """
    _estimate_figure(
        runs,
        models,
        "em_estimate",
        "EM",
        "EM estimate (critic units)",
        "Fig. 3: the WGAN critic's EM estimate and sample quality",
        out_png,
        out_pdf,
        median_window,
        architectures,
    )


def plot_js_estimate(
    runs: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    median_window: int,
    models: Sequence[str] = ("dcgan",),
    architectures: Sequence[str] | None = None,
) -> None:
    """Fig. 4: the standard GAN's JS estimate (log 2 - loss/2) against generator iterations."""
    _estimate_figure(
        runs,
        models,
        "js_estimate",
        "JS",
        "JS estimate (nats)",
        "Fig. 4: the standard GAN's JS estimate and sample quality",
        out_png,
        out_pdf,
        median_window,
        architectures,
    )


# ---------------------------------------------------------------- Figs. 5-7


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

    Each sheet: {"model", "architecture", "images"} with images a uint8 (N, 28, 28) batch or a
    ready grid (H, W) (at most ``max_images`` shown, ``ncols`` wide, default square); optional
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
            if images.ndim == 2:
                grid = images
            else:  # square by default, as the training snapshots
                batch = images[:max_images]
                grid = image_grid(batch, ncols or math.ceil(math.sqrt(len(batch))))
            ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
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


# ---------------------------------------------------------------- the summary figure


def _dot_offsets(n: int, half_width: float) -> np.ndarray:
    """Evenly spread (deterministic jitter) so seeds with equal values stay visible."""
    return np.zeros(1) if n == 1 else np.linspace(-half_width, half_width, n)


def _hollow_handle(label: str) -> Line2D:
    """The legend's mark for a run drawn hollow (still improving or not started)."""
    return Line2D([], [], marker="o", ls="none", ms=5, mfc="white", mec="#555555", mew=1.5, label=label)


def _summary_panel(ax, rows, key, models, architectures, floor, ylabel, log_if_spread: bool):
    n_models = len(models)
    slot = 0.8 / n_models
    finite_all = []
    diverged_marks = []
    for a, architecture in enumerate(architectures):
        for m, model in enumerate(models):
            x0 = a + (m - (n_models - 1) / 2) * slot
            group = sorted(
                (r for r in rows if r.get("model") == model and r.get("architecture") == architecture), key=_seed_key
            )
            colour = model_colour(model)
            done = [r for r in group if r.get("status") != "diverged" and math.isfinite(as_float(r.get(key)))]
            values = np.array([as_float(r.get(key)) for r in done])
            xs = x0 + _dot_offsets(len(values), 0.28 * slot)
            # a run still improving or not started is drawn hollow: a longer one would differ
            improving = np.array([r.get("convergence") in UNFINISHED for r in done], bool)
            ax.scatter(
                xs[~improving], values[~improving], s=28, color=colour, edgecolor="white", linewidth=0.5, zorder=3
            )
            ax.scatter(
                xs[improving], values[improving], s=28, facecolor="white", edgecolor=colour, linewidth=1.5, zorder=3
            )
            if len(values):
                finite_all.extend(values)
                ax.hlines(np.median(values), x0 - 0.38 * slot, x0 + 0.38 * slot, color=colour, lw=2.5, zorder=4)
            if len(values) > 1:
                ax.vlines(x0, values.min(), values.max(), color=colour, lw=1.2, alpha=0.7, zorder=2)
            n_div = len(group) - len(done)
            diverged_marks += list(x0 + _dot_offsets(n_div, 0.28 * slot)) if n_div else []
    if not math.isnan(floor):
        ax.axhline(floor, color="black", ls="--", lw=1.2, zorder=1)
        finite_all.append(floor)
    positive = [v for v in finite_all if v > 0]
    if log_if_spread and positive and max(positive) / min(positive) > 20:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 1.6, max(positive) * 3.5)  # headroom for diverged marks
    elif finite_all:
        low, high = min(0.0, min(finite_all)), max(finite_all)
        ax.set_ylim(low, high + 0.18 * (high - low or 1.0))
    if diverged_marks:  # drawn at the top of the axis: a diverged run has no meaningful value
        ax.plot(
            diverged_marks,
            [0.95] * len(diverged_marks),
            transform=ax.get_xaxis_transform(),
            ls="none",
            marker="x",
            ms=9,
            mew=2.5,
            color=DIVERGED_COLOUR,
            zorder=5,
            clip_on=False,
        )
    for boundary in np.arange(len(architectures) - 1) + 0.5:
        ax.axvline(boundary, color="#dddddd", lw=0.8, zorder=0)
    ax.set_xticks(range(len(architectures)), architectures)
    ax.set_xlim(-0.5, len(architectures) - 0.5)
    ax.set_xlabel("generator architecture")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#eeeeee", zorder=0)
    return bool(diverged_marks)


def plot_summary(
    rows: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    real_floor: Mapping | None = None,
    models: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Final FID and modes covered per architecture, grouped by model, every seed a dot.

    ``rows`` are ``runs.summary_rows``' rows; ``real_floor`` the real data's metrics
    (train vs test), drawn as a dashed line. Diverged runs appear as red crosses at the top.
    """
    models = list(models or _ordered((r.get("model") for r in rows), MODEL_ORDER)) or ["(none)"]
    architectures = list(architectures or _ordered((r.get("architecture") for r in rows), ARCHITECTURE_ORDER)) or [
        "(none)"
    ]
    floor = real_floor or {}
    width = max(7.0, 0.55 * len(architectures) * max(2, len(models)) + 2.0)
    fig = Figure(figsize=(width, 8.5), layout="constrained")
    fid_ax, modes_ax = fig.subplots(2, 1)
    diverged = _summary_panel(
        fid_ax, rows, "fid", models, architectures, as_float(floor.get("fid")), "final FID (lower is better)", True
    )
    _summary_panel(
        modes_ax,
        rows,
        "modes_covered",
        models,
        architectures,
        as_float(floor.get("modes_covered")),
        "modes covered (classes)",
        False,
    )
    modes_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fid_ax.set_title("Final FID")
    modes_ax.set_title("Modes covered by final samples")
    handles = [Patch(color=model_colour(m), label=m) for m in models]
    handles += [
        Line2D([], [], color="#555555", marker="o", ls="none", ms=5, label="one seed"),
        _hollow_handle("one seed, still improving or not started"),
        Line2D([], [], color="#555555", lw=2.5, label="median over seeds (what the verdicts compare)"),
        Line2D([], [], color="#555555", lw=1.2, label="min-max over seeds"),
    ]
    if diverged:
        handles.append(
            Line2D(
                [], [], color=DIVERGED_COLOUR, marker="x", ms=8, mew=2.5, ls="none", label="diverged (no final value)"
            )
        )
    if floor:
        handles.append(Line2D([], [], color="black", ls="--", lw=1.2, label="real data, train vs test (floor)"))
    title = (title or "Final sample quality by architecture and model") + _dataset_suffix(rows)
    fig.suptitle(_wrap(title, width, 13), fontsize=13)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        frameon=False,
        fontsize=9,
        ncols=_legend_columns(handles, width, 2.2),
    )
    _save(fig, out_png, out_pdf)


def plot_robustness(
    rows: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    fid_levels: Sequence[float],
    min_modes: int,
    models: Sequence[str] | None = None,
) -> None:
    """The random architectures (Gulrajani et al. 2017, Table 2): per architecture, each model's
    FID reached (``runs.fid_reached``) and modes covered, every seed a dot, with the levels of
    success drawn across."""
    random_rows = [r for r in rows if robustness.is_random(r.get("architecture"))]
    models = list(models or _ordered((r.get("model") for r in random_rows), MODEL_ORDER)) or ["(none)"]
    architectures = sorted({r.get("architecture") for r in random_rows}) or ["(none)"]
    width = max(7.0, 0.32 * len(architectures) * max(2, len(models)) + 2.0)
    fig = Figure(figsize=(width, 8.5), layout="constrained")
    fid_ax, modes_ax = fig.subplots(2, 1)
    diverged = _summary_panel(  # the FID success is judged on (robustness.succeeded)
        fid_ax, random_rows, "fid_reached", models, architectures, math.nan, "FID reached (lower is better)", True
    )
    _summary_panel(modes_ax, random_rows, "modes_covered", models, architectures, math.nan, "modes covered", False)
    for level in fid_levels:
        fid_ax.axhline(level, color="#777777", ls=":", lw=1.2, zorder=1)
        fid_ax.annotate(
            f"FID {level:g}",
            (1.0, level),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#555555",
        )
    modes_ax.axhline(min_modes, color="#777777", ls=":", lw=1.2, zorder=1)
    modes_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (fid_ax, modes_ax):
        ax.set_xlabel("random architecture (summary.md lists each)")
        ax.tick_params(axis="x", labelrotation=90 if len(architectures) > 12 else 0)
    fid_ax.set_title("FID reached (held to the next snapshot): a run succeeds at or under a dotted level ...")
    modes_ax.set_title(f"... and covering at least {min_modes} classes (dotted)")
    handles = [Patch(color=model_colour(m), label=m) for m in models]
    handles.append(_hollow_handle("still improving or not started"))
    if diverged:
        handles.append(Line2D([], [], color=DIVERGED_COLOUR, marker="x", ms=8, mew=2.5, ls="none", label="diverged"))
    title = "Which model trains on which random architecture" + _dataset_suffix(random_rows)
    fig.suptitle(_wrap(title, width, 13), fontsize=13)
    fig.legend(handles=handles, loc="outside lower center", frameon=False, fontsize=9, ncols=len(handles))
    _save(fig, out_png, out_pdf)


# ---------------------------------------------------------------- quality against compute

AXIS_LABELS = {
    "generator_iteration": "generator iterations",
    "critic_updates": "critic updates",
    "wall_time_s": "wall-clock seconds (training)",
}


def quality_over_compute(runs: Sequence[Mapping]) -> list[dict]:
    """What ``plot_quality_over_compute`` draws: per run, FID at each snapshot and the cost of that
    snapshot on each compute axis."""
    series = []
    for run in runs:
        iterations, fid = fid_over_training(run)
        if len(fid):
            series.append(
                {
                    **{k: run.get(k) for k in ("model", "architecture", "seed")},
                    "fid": fid,
                    **compute_at(run, iterations),
                }
            )
    return series


def plot_quality_over_compute(
    runs: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    models: Sequence[str] | None = None,
    architectures: Sequence[str] | None = None,
) -> list[dict]:
    """FID over training (log scale) against each compute axis (rows), per architecture
    (columns), one line per run coloured by model. Returns the series drawn."""
    series = quality_over_compute(runs)
    models = list(models or _ordered((s["model"] for s in series), list(MODEL_COLOURS)))
    architectures = list(architectures or _ordered((s["architecture"] for s in series), []))
    width = 3.6 * max(len(architectures), 1) + 0.6
    fig = Figure(figsize=(width, 3.0 * len(COMPUTE_AXES) + 1.0), layout="constrained")
    grid = fig.subplots(len(COMPUTE_AXES), max(len(architectures), 1), squeeze=False, sharey="col")
    for c, architecture in enumerate(architectures):
        for r, axis in enumerate(COMPUTE_AXES):
            ax = grid[r][c]
            drawn = [s for s in series if s["architecture"] == architecture and s["model"] in models]
            if not drawn:
                _empty_panel(ax, "no evaluated runs")
                continue
            for s in drawn:
                keep = np.isfinite(s[axis]) & np.isfinite(s["fid"]) & (s["fid"] > 0)
                ax.plot(s[axis][keep], s["fid"][keep], color=model_colour(s["model"]), lw=1.4, marker="o", ms=2.5)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))  # 300, not 3 x 10^2
            ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
            ax.set_xlabel(AXIS_LABELS[axis])
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("FID (lower is better)")
            if r == 0:
                ax.set_title(architecture)
    handles = [Line2D([], [], color=model_colour(m), lw=1.4, marker="o", ms=3, label=m) for m in models]
    fig.suptitle(
        "Sample quality against compute: generator iterations, critic updates, seconds" + _dataset_suffix(runs)
    )
    fig.legend(handles=handles, loc="outside lower center", frameon=False, ncols=len(handles))
    _save(fig, out_png, out_pdf)
    return series
