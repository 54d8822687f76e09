"""The paper-style figures draw from small synthetic runs, including a diverged run and a gap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from PIL import Image
from wganlib.report import plots
from wganlib.verdicts.runs import summary_rows

SNAPSHOT_EVERY = 50


def synthetic_run(
    model: str, architecture: str, seed: int, *, n: int = 400, diverged_at: int | None = None, dataset: str = "mnist-5k"
) -> dict:
    """A run whose estimate and FID both fall over training (so they correlate)."""
    rng = np.random.default_rng(seed + 7 * len(architecture) + len(model))
    stop = diverged_at or n
    it = np.arange(1, stop + 1)
    quality = np.exp(-it / (n / 3))  # 1 -> ~0.05: "distance to the data"
    scale = 1.0 if model == "wgan-gp" else 0.05
    em = scale * (quality + 0.08 * rng.standard_normal(stop)) if model != "dcgan" else np.nan * it
    js = (math.log(2) - 0.3 + 0.1 * rng.standard_normal(stop)) if model == "dcgan" else np.nan * it
    if diverged_at:
        em = np.where(it > stop - 20, em * 50, em)  # blows up just before stopping
    metrics = pd.DataFrame(
        {
            "generator_iteration": it,
            "critic_iterations": 1 if model == "dcgan" else 5,
            "critic_loss": -np.nan_to_num(em),
            "generator_loss": 0.0,
            "em_estimate": em,
            "js_estimate": js,
            "gradient_penalty": np.nan,
            "d_real": 0.0,
            "d_fake": 0.0,
            "wall_time_s": it * 0.01,
            "iterations_per_s": 100.0,
        }
    )
    snapshots = np.arange(SNAPSHOT_EVERY, stop + 1, SNAPSHOT_EVERY)
    fid_at = lambda i: 5 + 150 * math.exp(-i / (n / 3)) + rng.uniform(-2, 2)  # noqa: E731
    over = [
        {
            "generator_iteration": int(i),
            "fid": fid_at(i),
            "kid": 0.01,
            "kid_std": 0.001,
            "classifier_score": 8.0,
            "modes_covered": 10,
            "class_kl": 0.1,
            "n_samples": 500,
        }
        for i in snapshots
    ]
    final = dict(over[-1]) if over else {}
    final.pop("generator_iteration", None)
    if model == "dcgan" and architecture == "mlp":
        final["modes_covered"] = 3
    status = "diverged" if diverged_at else "completed"
    return {
        "experiment": f"{model}-{architecture}-s{seed}",
        "dataset": dataset,
        "model": model,
        "architecture": architecture,
        "seed": seed,
        "status": status,
        "diverged_at": diverged_at,
        "generator_iterations": stop,
        "wall_time_s": stop * 0.01,
        "metrics": metrics,
        "evaluation": {"final": final, "over_training": over},
    }


def synthetic_grid() -> list[dict]:
    runs = [synthetic_run(m, a, s) for m in ("dcgan", "wgan", "wgan-gp") for a in ("conv", "mlp") for s in (0, 1)]
    runs.append(synthetic_run("dcgan", "conv-nobn", 0, diverged_at=180))
    runs.append(synthetic_run("wgan", "conv-nobn", 0))
    return runs


def png_size(path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def assert_figure(tmp_path, name, min_w=600, min_h=400):
    png, pdf = tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"
    assert png.stat().st_size > 5000 and pdf.stat().st_size > 2000
    assert pdf.read_bytes()[:5] == b"%PDF-"
    width, height = png_size(png)
    assert min_w <= width <= 6000 and min_h <= height <= 6000
    assert not list(tmp_path.glob(".*tmp*")), "atomic temp files left behind"


def test_em_estimate_figure(tmp_path):
    plots.plot_em_estimate(synthetic_grid(), tmp_path / "em.png", tmp_path / "em.pdf", median_window=15)
    assert_figure(tmp_path, "em")


def test_js_estimate_figure(tmp_path):
    plots.plot_js_estimate(synthetic_grid(), tmp_path / "js.png", tmp_path / "js.pdf", median_window=15)
    assert_figure(tmp_path, "js")


def test_em_estimate_figure_states_the_verdicts_statistic_and_draws_sngan_s_own_estimate(tmp_path, monkeypatch):
    from matplotlib.text import Text
    from wganlib.report.plots import estimates

    runs = [synthetic_run(m, "conv", s) for m in ("wgan", "wgan-gp") for s in (0, 1, 2)]
    for seed in (0, 1, 2):  # a model outside the paper, whose critic logs the TV estimate
        run = synthetic_run("wgan", "conv", seed)
        run["model"], run["metrics"] = "sngan", run["metrics"].rename(columns={"em_estimate": "tv_estimate"})
        runs.append(run)
    drawn = []
    monkeypatch.setattr(estimates, "_save", lambda fig, png, pdf: drawn.append(fig))
    plots.plot_em_estimate(runs, tmp_path / "em.png", tmp_path / "em.pdf", median_window=5, rows=summary_rows(runs))
    texts = " ".join(" | ".join(t.get_text() for t in drawn[0].findobj(Text)).split())  # wrapped lines joined
    assert texts.count("between seeds: rho") == 3 and "over training: rho" in texts
    assert "TV estimate, 1 - L_D/2 (hinge critic)" in texts and "sngan: TV estimate (one line per seed)" in texts
    assert "the statistic the tracking verdicts read" in texts and "sngan's TV estimate (no claim" in texts


def test_estimate_figure_without_evaluation(tmp_path):
    run = synthetic_run("wgan", "conv", 0)
    run["evaluation"] = None
    plots.plot_em_estimate([run], tmp_path / "em.png", tmp_path / "em.pdf", median_window=5)
    assert_figure(tmp_path, "em", min_w=300, min_h=300)


def test_sample_sheet_with_missing_cell_and_diverged(tmp_path):
    rng = np.random.default_rng(0)
    sheets = [
        {
            "model": m,
            "architecture": a,
            "experiment": f"{m}-{a}-s0",
            "seed": 0,
            "images": rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
        }
        for m in ("dcgan", "wgan")
        for a in ("conv", "mlp")
    ]
    sheets.append(
        {
            "model": "wgan-gp",
            "architecture": "conv",
            "experiment": "wgan-gp-conv-s0",
            "status": "diverged",
            "diverged_at": 1234,
            "images": rng.uniform(-1, 1, (16, 28, 28)),
        }
    )  # wgan-gp mlp is missing
    plots.plot_sample_sheet(sheets, tmp_path / "s.png", tmp_path / "s.pdf")
    assert_figure(tmp_path, "s", min_w=500, min_h=500)


def test_sample_sheet_draws_colour_images_in_colour(tmp_path):
    """Colour batches (N, h, w, 3) and a ready colour grid keep their colours; grey stays grey."""
    red, green = np.array([230, 20, 20], np.uint8), np.array([20, 230, 20], np.uint8)
    sheets = [
        {"model": "wgan", "architecture": "conv", "images": np.broadcast_to(red, (16, 32, 32, 3))},
        {"model": "dcgan", "architecture": "conv", "images": np.broadcast_to(green, (100, 120, 3))},  # a grid
        {"model": "wgan-gp", "architecture": "conv", "images": np.full((16, 32, 32), 230, np.uint8)},
    ]
    plots.plot_sample_sheet(sheets, tmp_path / "c.png", tmp_path / "c.pdf")
    assert_figure(tmp_path, "c", min_w=500, min_h=300)
    with Image.open(tmp_path / "c.png") as image:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    counts = {
        name: int((np.abs(pixels - colour).max(axis=1) <= 4).sum())
        for name, colour in (("red", red), ("green", green), ("grey", (230, 230, 230)))
    }
    assert min(counts.values()) > 10_000, counts  # each panel drawn in its own colour


def test_summary_figure(tmp_path):
    rows = summary_rows(synthetic_grid(), {"fid": 2.0, "modes_covered": 10}, good_fid=20.0, median_window=15)
    rows.append(
        {**rows[0], "experiment": "wgan-mine-s0", "model": "wgan", "architecture": "mine", "fid": 900.0}
    )  # a user-defined architecture and a large spread -> log axis
    plots.plot_summary(rows, tmp_path / "sum.png", tmp_path / "sum.pdf", real_floor={"fid": 2.0, "modes_covered": 10})
    assert_figure(tmp_path, "sum")


def test_summary_figure_counts_stacked_mnist_modes(tmp_path, monkeypatch):
    """On Stacked MNIST the lower panel shows the 1,000 modes and their floor, not the ten-class
    count (0 for every run there: no class of 1,000 receives 5 % of the samples)."""
    from wganlib.report.plots import summary as summary_plots

    drawn = []
    real_panel = summary_plots._summary_panel

    def recording(ax, rows, key, models, architectures, floor, ylabel, log_if_spread):
        drawn.append((key, floor, ylabel, [r.get(key) for r in rows]))
        return real_panel(ax, rows, key, models, architectures, floor, ylabel, log_if_spread)

    monkeypatch.setattr(summary_plots, "_summary_panel", recording)
    rows = summary_rows(synthetic_grid(), {"fid": 2.0, "modes_covered": 10}, good_fid=20.0, median_window=15)
    stacked = [{**r, "modes_covered": 0, "stacked_modes": 900 + i} for i, r in enumerate(rows)]
    floor = {"fid": 2.0, "modes_covered": 0, "stacked_modes": 1000}
    plots.plot_summary(stacked, tmp_path / "st.png", tmp_path / "st.pdf", real_floor=floor)
    assert_figure(tmp_path, "st")
    key, floor_drawn, ylabel, values = drawn[1]
    assert (key, floor_drawn) == ("stacked_modes", 1000) and "1,000" in ylabel
    assert values == [900 + i for i in range(len(rows))]
    marked = []  # the confident count, where runs have it: a diamond beside each dot, its floor dotted
    real_marks = summary_plots._confident_marks

    def recording_marks(ax, rows, models, architectures, floor):
        marked.append((floor, real_marks(ax, rows, models, architectures, floor)))
        return marked[-1][1]

    monkeypatch.setattr(summary_plots, "_confident_marks", recording_marks)
    confident = [
        {**r, "stacked_confident_modes": 100 + i, "stacked_confident_samples": 900} for i, r in enumerate(stacked)
    ]
    floor_confident = {**floor, "stacked_confident_modes": 990}
    plots.plot_summary(confident, tmp_path / "c.png", tmp_path / "c.pdf", real_floor=floor_confident)
    assert_figure(tmp_path, "c")
    plots.plot_summary(stacked, tmp_path / "st.png", tmp_path / "st.pdf", real_floor=floor)  # runs without it
    assert marked[0] == (990, True) and marked[1][1] is False
    drawn.clear()  # a grid without Stacked MNIST keeps the ten-class count
    plots.plot_summary(rows, tmp_path / "ten.png", tmp_path / "ten.pdf", real_floor={"fid": 2.0, "modes_covered": 10})
    assert drawn[1][:3] == ("modes_covered", 10, "modes covered (classes)")


def test_quality_over_compute_figure_and_its_data(tmp_path):
    """The same FID points on three axes: a WGAN snapshot costs 5 critic updates per iteration."""
    grid = synthetic_grid()
    series = plots.plot_quality_over_compute(grid, tmp_path / "qc.png", tmp_path / "qc.pdf")
    assert_figure(tmp_path, "qc")
    by_run = {(s["model"], s["architecture"], s["seed"]): s for s in series}
    wgan, dcgan = by_run[("wgan", "conv", 0)], by_run[("dcgan", "conv", 0)]
    np.testing.assert_array_equal(wgan["critic_updates"], 5 * wgan["generator_iteration"])
    np.testing.assert_array_equal(dcgan["critic_updates"], dcgan["generator_iteration"])
    np.testing.assert_allclose(wgan["wall_time_s"], 0.01 * wgan["generator_iteration"])
    diverged = by_run[("dcgan", "conv-nobn", 0)]
    assert diverged["generator_iteration"].max() <= 180  # up to where it stopped
