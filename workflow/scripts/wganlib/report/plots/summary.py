"""The figures with every seed a dot: final FID and modes covered per architecture and model
(in the style of Lucic et al. 2018), and the same on the random architectures, with the levels
of success (Gulrajani et al. 2017, Table 2)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from wganlib.report import trained
from wganlib.verdicts import robustness
from wganlib.verdicts.runs import UNFINISHED, as_float

from .common import (
    ARCHITECTURE_ORDER,
    DIVERGED_COLOUR,
    MODEL_ORDER,
    PathLike,
    _columns_that_fit,
    _dataset_suffix,
    _legend_columns,
    _ordered,
    _save,
    _seed_key,
    _wrap,
    model_colour,
)


def _dot_offsets(n: int, half_width: float) -> np.ndarray:
    """Evenly spread (deterministic jitter) so seeds with equal values stay visible."""
    return np.zeros(1) if n == 1 else np.linspace(-half_width, half_width, n)


def _hollow_handle(label: str) -> Line2D:
    """The legend's mark for a run drawn hollow (still improving or not started)."""
    return Line2D([], [], marker="o", ls="none", ms=5, mfc="white", mec="#555555", mew=1.5, label=label)


def _model_handles(rows, models, architectures) -> tuple[list[Patch], str]:
    """Each model's colour, labelled with its budget where the runs drawn trained for different
    budgets (``trained.by_model``), and the note that says so ('' where they all trained alike)."""
    drawn = [r for r in rows if r.get("model") in models and r.get("architecture") in architectures]
    if not trained.differ(drawn):
        return [Patch(color=model_colour(m), label=m) for m in models], ""
    labels = trained.by_model(drawn, models, architectures)
    handles = [Patch(color=model_colour(m), label=f"{m} ({labels[m]})" if m in labels else m) for m in models]
    return handles, "Budgets differ (iterations in the legend): not like for like"


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


def _confident_marks(ax, rows, models, architectures, floor: float) -> bool:
    """Stacked MNIST's confident count (``modes.confident_modes``) as a diamond beside each run's
    dot, at the same place; its floor dotted. False where no run has it (nothing drawn)."""
    key, slot = "stacked_confident_modes", 0.8 / len(models)
    if not any(math.isfinite(as_float(r.get(key))) for r in rows):
        return False
    for a, architecture in enumerate(architectures):
        for m, model in enumerate(models):
            x0 = a + (m - (len(models) - 1) / 2) * slot
            group = sorted(
                (r for r in rows if r.get("model") == model and r.get("architecture") == architecture), key=_seed_key
            )
            done = [
                r for r in group if r.get("status") != "diverged" and math.isfinite(as_float(r.get("stacked_modes")))
            ]
            xs = x0 + _dot_offsets(len(done), 0.28 * slot)
            values = np.array([as_float(r.get(key)) for r in done])
            ax.scatter(xs, values, s=22, marker="D", facecolor=model_colour(model), edgecolor="black", lw=0.6, zorder=5)
    if math.isfinite(floor):
        ax.axhline(floor, color="black", ls=":", lw=1.2, zorder=1)
    return True


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
    """Final FID and modes covered per architecture, grouped by model, every seed a dot; on
    Stacked MNIST (rows with ``stacked_modes``) its 1,000 modes instead of the ten-class count, and
    where runs have it the confident count beside each (a diamond).

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
    # Stacked MNIST's judge has 1,000 classes: its modes, not the ten-digit count, show collapse
    stacked = any(math.isfinite(as_float(r.get("stacked_modes"))) for r in rows)
    modes_key = "stacked_modes" if stacked else "modes_covered"
    _summary_panel(
        modes_ax,
        rows,
        modes_key,
        models,
        architectures,
        as_float(floor.get(modes_key)),
        "Stacked MNIST modes covered (of 1,000)" if stacked else "modes covered (classes)",
        False,
    )
    confident = stacked and _confident_marks(
        modes_ax, rows, models, architectures, as_float(floor.get("stacked_confident_modes"))
    )
    modes_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if stacked:  # no count above 1,000: no tick there
        modes_ax.set_ylim(0, 1040)
    fid_ax.set_title("Final FID")
    modes_ax.set_title("Stacked MNIST modes hit by final samples" if stacked else "Modes covered by final samples")
    handles, note = _model_handles(rows, models, architectures)
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
    if confident:
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                ls="none",
                ms=5,
                mfc="#555555",
                mec="black",
                label="modes hit by confidently read samples only",
            )
        )
    if floor:
        handles.append(Line2D([], [], color="black", ls="--", lw=1.2, label="real data, train vs test (floor)"))
    if confident and math.isfinite(as_float(floor.get("stacked_confident_modes"))):
        handles.append(Line2D([], [], color="black", ls=":", lw=1.2, label="real data's confident modes"))
    title = (title or "Final sample quality by architecture and model") + _dataset_suffix(rows)
    fig.suptitle("\n".join(_wrap(t, width, 13) for t in (title, note) if t), fontsize=13)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        frameon=False,
        fontsize=9,
        ncols=min(_legend_columns(handles, width, 2.2), _columns_that_fit(handles, width)),
    )
    _save(fig, out_png, out_pdf)


# The random-architecture figure's architectures per row of panels
ROW_ARCHITECTURES = 20


def _one_scale(axes) -> None:
    """One y scale for panels drawn apart: the union of their ranges, logarithmic if any is."""
    log = any(ax.get_yscale() == "log" for ax in axes)
    lows = [ax.get_ylim()[0] for ax in axes if not log or ax.get_ylim()[0] > 0]
    high = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        if log and ax.get_yscale() != "log":  # (setting a scale resets the axis' tick locator)
            ax.set_yscale("log")
        ax.set_ylim(min(lows), high)


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
    # rows of at most ROW_ARCHITECTURES architectures, each a pair of panels: FID reached, modes
    groups = [architectures[i : i + ROW_ARCHITECTURES] for i in range(0, len(architectures), ROW_ARCHITECTURES)]
    width = max(7.0, 0.32 * len(groups[0]) * max(2, len(models)) + 2.0)
    fig = Figure(figsize=(width, 8.5 * len(groups)), layout="constrained")
    panels = fig.subplots(2 * len(groups), 1, squeeze=False)[:, 0]
    diverged = False
    for fid_ax, modes_ax, group in zip(panels[::2], panels[1::2], groups, strict=True):
        diverged |= _summary_panel(  # the FID success is judged on (robustness.succeeded)
            fid_ax, random_rows, "fid_reached", models, group, math.nan, "FID reached (lower is better)", True
        )
        _summary_panel(modes_ax, random_rows, "modes_covered", models, group, math.nan, "modes covered", False)
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
            ax.tick_params(axis="x", labelrotation=90 if len(group) > 12 else 0)
    for axes in (panels[::2], panels[1::2]):
        _one_scale(axes)
    fid_ax, modes_ax = panels[0], panels[1]
    fid_ax.set_title("FID reached (held to the next snapshot): a run succeeds at or under a dotted level ...")
    modes_ax.set_title(f"... and covering at least {min_modes} classes (dotted)")
    handles, note = _model_handles(random_rows, models, architectures)
    handles.append(_hollow_handle("still improving or not started"))
    if diverged:
        handles.append(Line2D([], [], color=DIVERGED_COLOUR, marker="x", ms=8, mew=2.5, ls="none", label="diverged"))
    title = "Which model trains on which random architecture" + _dataset_suffix(random_rows)
    fig.suptitle("\n".join(_wrap(t, width, 13) for t in (title, note) if t), fontsize=13)
    ncols = _columns_that_fit(handles, width)
    fig.legend(handles=handles, loc="outside lower center", frameon=False, fontsize=9, ncols=ncols)
    _save(fig, out_png, out_pdf)
