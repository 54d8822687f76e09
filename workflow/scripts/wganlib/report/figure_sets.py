"""The figures of one dataset's runs, as a whole: ``dataset_figures`` draws what the `figures` rule
writes (Figures 3 to 7, the summary, quality over compute), ``sweep_figures`` what the
`random_architectures` rule writes (FID per architecture, the success table) and
``drawn_architectures`` its architectures.yaml. The rules call them on results/, and
docs/evidence/reference_figures.py on a reference's committed run files, where each run keeps only
the first samples of its final ones (``samples_file``), so that a study trained in chunks on
several machines is drawn as one. No TensorFlow."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from ..plan import architectures
from ..verdicts import robustness
from ..verdicts.runs import summary_rows, with_samples
from . import plots

# Each rule's figures: output key prefix -> file name (outputs {prefix}png and {prefix}pdf).
DATASET_FIGURES = {
    "em_": "em_estimate",
    "js_": "js_estimate",
    "samples_": "samples",
    "summary_": "summary",
    "compute_": "quality_over_compute",
}
SWEEP_FIGURES = {"": "fid_per_architecture", "success_": "success"}


def figure_paths(figures: Mapping[str, str], png_dir: Path, pdf_dir: Path) -> dict[str, Path]:
    """A rule's output keys for ``figures`` (DATASET_FIGURES, SWEEP_FIGURES): PNGs in ``png_dir``,
    PDFs in ``pdf_dir``."""
    paths = {}
    for prefix, name in figures.items():
        paths[f"{prefix}png"], paths[f"{prefix}pdf"] = png_dir / f"{name}.png", pdf_dir / f"{name}.pdf"
    return paths


def rows_of(runs: Sequence[Mapping], real_floor: Mapping | None, claims: Mapping, median_window: int) -> list[dict]:
    """The summary's rows as the figures read them (``claims``: good_fid, still_improving, min_progress)."""
    return summary_rows(
        runs,
        real_floor,
        good_fid=claims["good_fid"],
        median_window=median_window,
        still_improving=claims["still_improving"],
        min_progress=claims["min_progress"],
    )


def dataset_figures(
    runs: Sequence[Mapping],
    real_floor: Mapping,
    out: Mapping[str, Path],
    *,
    models: Sequence[str],
    architectures: Sequence[str],
    claims: Mapping,
    median_window: int,
    sheet_samples: int,
    samples_file: str = "samples.npz",
    sheet_runs: Sequence[Mapping] | None = None,
) -> None:
    """The `figures` rule's PNGs and PDFs, at ``out``'s keys (em, js, samples, summary, compute);
    the sample sheet reads ``samples_file`` in the folders of ``sheet_runs`` (default: ``runs``)."""
    rows = rows_of(runs, real_floor, claims, median_window)
    grid = {"architectures": architectures, "rows": rows}
    plots.plot_em_estimate(runs, out["em_png"], out["em_pdf"], median_window=median_window, **grid)
    plots.plot_js_estimate(runs, out["js_png"], out["js_pdf"], median_window=median_window, **grid)
    sheets = [with_samples(run, sheet_samples, samples_file) for run in sheet_runs or runs]
    plots.plot_sample_sheet(sheets, out["samples_png"], out["samples_pdf"], models=models, architectures=architectures)
    plots.plot_summary(
        rows, out["summary_png"], out["summary_pdf"], real_floor=real_floor, models=models, architectures=architectures
    )
    plots.plot_quality_over_compute(
        runs, out["compute_png"], out["compute_pdf"], models=models, architectures=architectures
    )


def sweep_figures(
    runs: Sequence[Mapping],
    out: Mapping[str, Path],
    *,
    models: Sequence[str],
    claims: Mapping,
    random: Mapping,
    median_window: int,
    sheet_samples: int,
    samples_file: str = "samples.npz",
) -> None:
    """The `random_architectures` rule's figures (``out``: png, pdf, success_png, success_pdf):
    each model's FID reached per architecture, and the claim's success (claims.good_fid, as the
    verdicts read it) with samples only where the models disagree."""
    rows = rows_of(runs, None, claims, median_window)
    levels = {"min_modes": random["min_modes"], "models": models}
    plots.plot_robustness(rows, out["png"], out["pdf"], fid_levels=random["fid_levels"], **levels)
    cells = robustness.per_model(rows, claims["good_fid"], random["min_modes"], tuple(models))
    split = {architecture for (_, architecture), cell in cells.items() if robustness.discordant(cell)}
    sheets = [with_samples(run, sheet_samples, samples_file) for run in runs if run["architecture"] in split]
    plots.plot_success(rows, sheets, out["success_png"], out["success_pdf"], fid_level=claims["good_fid"], **levels)


def drawn_architectures(drawn_from: Mapping, definitions: Mapping) -> str:
    """architectures.yaml: the random architectures' full definitions, what they were drawn from,
    and which the redraw rule drew again (at which attempt)."""
    attempts = {name: architectures.attempt_of(drawn_from, name, d) for name, d in definitions.items()}
    drawn = {"drawn_from": dict(drawn_from), "architectures": dict(definitions)}
    drawn["redrawn"] = {name: attempt for name, attempt in attempts.items() if attempt}
    return yaml.safe_dump(drawn, sort_keys=False)
