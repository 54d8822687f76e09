"""Figs. 3 and 4: the critic's EM estimate (WGAN) and the discriminator's JS estimate (GAN)
against generator iterations, one panel per model and architecture, FID on a second axis. A model
outside the paper draws its own estimate (the model table's) in the figure the table names.

Each panel states the statistic the tracking verdicts read: the between-seed Spearman rho of the
estimate against FID at matched snapshot iterations (``tracking``), and beside it, as a
description only, each seed's rho over training, a trend any falling curve shares."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from wganlib.plan.objectives import MODELS, PAPER_MODELS, estimate_of
from wganlib.verdicts.runs import estimate_fid_correlation, fid_over_training, filtered_estimate, metrics_frame
from wganlib.verdicts.tracking import MIN_SEEDS, between_seeds

from .common import (
    ARCHITECTURE_ORDER,
    DIVERGED_COLOUR,
    FID_COLOUR,
    PathLike,
    _dataset_suffix,
    _empty_panel,
    _legend_columns,
    _ordered,
    _save,
    _seed_key,
    _thin,
    _wrap,
    model_colour,
)


def drawn_in(figure: str, models: Sequence[str] = tuple(MODELS)) -> list[str]:
    """Those of ``models`` whose estimate the figure ``figure`` (em_estimate or js_estimate) draws."""
    return [m for m in models if estimate_of(m) is not None and estimate_of(m).figure == figure]


def _estimate_figure(
    runs: Sequence[Mapping],
    figure: str,
    title: str,
    out_png: PathLike,
    out_pdf: PathLike,
    median_window: int,
    architectures: Sequence[str] | None,
    rows: Sequence[Mapping] | None,
) -> None:
    models = drawn_in(figure)
    runs = [r for r in runs if r.get("model") in models]
    present = _ordered((r.get("model") for r in runs), models) or drawn_in(figure, PAPER_MODELS)
    between = between_seeds(rows, present) if rows is not None else None
    groups = between.groups if between is not None else {}
    architectures = list(architectures or _ordered((r.get("architecture") for r in runs), ARCHITECTURE_ORDER)) or [
        "(none)"
    ]
    nrows, ncols = len(present), len(architectures)
    width = max(8.0, 3.9 * ncols + 0.8)
    fig = Figure(figsize=(width, 3.0 * nrows + 1.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False))
    any_diverged = False
    for i, model in enumerate(present):
        colour, estimate = model_colour(model), estimate_of(model)
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
                iterations, values = filtered_estimate(metrics_frame(run), estimate.column, median_window)
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
                rhos.append(estimate_fid_correlation(run, estimate.column, median_window))
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
                ax.set_ylabel(estimate.label)
            if fid_ax is not None and j == ncols - 1:
                fid_ax.set_ylabel("FID (dashed; lower is better)")
            (fid_ax or ax).text(
                0.97,
                0.96,
                _rho_text(groups.get((model, architecture)), rhos, rows is not None),
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
                zorder=10,
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#bbbbbb", alpha=0.85),
            )
    handles = [
        Line2D([], [], color=model_colour(m), lw=2, label=f"{m}: {estimate_of(m).short} estimate (one line per seed)")
        for m in present
    ]
    others = [m for m in present if not MODELS[m].paper]
    title += "".join(f"; {m}'s {estimate_of(m).short} estimate (no claim of the paper)" for m in others)
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
        f"Curves: rolling median over {median_window} generator iterations.  Between seeds, the statistic "
        f"the tracking verdicts read (summary.md): Spearman rho across the seeds of the estimate against "
        f"FID at matched snapshot iterations, averaged over them, from {MIN_SEEDS} seeds whose FID moved.  "
        f"Over training: each seed's rho of its curve with its FID, a trend any falling curve shares "
        f"(described, not judged)."
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


def _rho_text(group: tuple | None, rhos: list[float], judged: bool) -> str:
    """The panel's statistics: between seeds (the verdict's; ``group`` is tracking's (seeds,
    iterations, rho) or None) when the figure was given the summary's rows, then over training."""
    lines = []
    if judged:
        lines.append(
            f"between seeds: rho {group[2]:+.2f} ({group[0]} seeds)"
            if group
            else f"between seeds: n/a (needs {MIN_SEEDS} seeds that moved)"
        )
    finite = [r for r in rhos if not math.isnan(r)]
    if not finite:
        lines.append("over training: rho n/a")
    elif len(rhos) == 1:
        lines.append(f"over training: rho {finite[0]:.2f}")
    else:
        per_seed = ", ".join("n/a" if math.isnan(r) else f"{r:.2f}" for r in rhos)
        lines.append(f"over training: rho median {np.median(finite):.2f}\nper seed: {per_seed}")
    return "\n".join(lines)


def plot_em_estimate(
    runs: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    median_window: int,
    architectures: Sequence[str] | None = None,
    rows: Sequence[Mapping] | None = None,
) -> None:
    """Fig. 3: the critic's EM estimate against generator iterations, FID on a second axis; the
    critics of models outside the paper with their own estimates (sngan's TV estimate) below.

    One row per model (clipped and penalised critics differ in scale by orders of magnitude),
    one column per architecture. With ``rows`` (``runs.summary_rows``), each panel states the
    between-seed statistic of the tracking verdicts.
    """
    title = "Fig. 3: the WGAN critic's EM estimate and sample quality"
    _estimate_figure(runs, "em_estimate", title, out_png, out_pdf, median_window, architectures, rows)


def plot_js_estimate(
    runs: Sequence[Mapping],
    out_png: PathLike,
    out_pdf: PathLike,
    *,
    median_window: int,
    architectures: Sequence[str] | None = None,
    rows: Sequence[Mapping] | None = None,
) -> None:
    """Fig. 4: the standard GAN's JS estimate (log 2 - loss/2) against generator iterations."""
    title = "Fig. 4: the standard GAN's JS estimate and sample quality"
    _estimate_figure(runs, "js_estimate", title, out_png, out_pdf, median_window, architectures, rows)
