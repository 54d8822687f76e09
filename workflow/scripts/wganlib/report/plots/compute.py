"""Sample quality against compute: FID over training against generator iterations, critic
updates and wall-clock seconds, the three axes on which the models' speed can be compared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter

from wganlib.verdicts.runs import COMPUTE_AXES, compute_at, fid_over_training

from .common import MODEL_COLOURS, PathLike, _dataset_suffix, _empty_panel, _ordered, _save, model_colour

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
