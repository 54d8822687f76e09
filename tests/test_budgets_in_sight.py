"""Budgets in sight: where the models compared trained for different numbers of generator
iterations, the summary figure, the random-architecture figure and the summary's literature table
say so beside the numbers; where all trained alike, they add nothing."""

from __future__ import annotations

import pytest
from conftest import summary_row
from wganlib.report import report, trained
from wganlib.report.plots import plot_robustness, plot_summary
from wganlib.report.plots import summary as summary_plots

# The five-seed study's budgets: the GAN 4,000 (conv-bn-first 1,500), WGAN 5,000, WGAN-GP 1,000.
STUDY = {("dcgan", "conv-bn-first"): 1500, "dcgan": 4000, "wgan": 5000, "wgan-gp": 1000}


def row(model, architecture, seed, iterations, status="completed"):
    fid = 50.0 + seed + len(model) + 10 * (architecture == "conv-bn-first")
    values = {"fid": fid, "fid_reached": fid, "modes_covered": 9, "convergence": "plateaued"}
    return summary_row(model, architecture, seed, status=status, generator_iterations=iterations, **values)


def grid(budget=lambda model, architecture: 1000, architectures=("conv", "conv-bn-first")):
    return [row(m, a, s, budget(m, a)) for m in ("dcgan", "wgan", "wgan-gp") for a in architectures for s in (0, 1)]


def study_budget(model, architecture):
    return STUDY.get((model, architecture), STUDY[model])


@pytest.fixture
def drawn(monkeypatch):
    """The figures' legend labels and title, as the plot functions leave them to be saved."""
    seen = {}

    def record(fig, out_png, out_pdf):
        seen["labels"] = [t.get_text() for t in fig.legends[0].get_texts()]
        seen["title"] = fig.get_suptitle()
        fig.draw_without_rendering()  # lays the legend out: its longer labels still fit the width
        box = fig.legends[0].get_window_extent()
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width, (box, fig.bbox)

    monkeypatch.setattr(summary_plots, "_save", record)
    return seen


def test_the_summary_figure_names_each_models_budget_where_they_differ(drawn):
    plot_summary(grid(study_budget), "s.png", "s.pdf")
    assert drawn["labels"][:3] == [
        "dcgan (4,000 iters; conv-bn-first 1,500)",
        "wgan (5,000 iters)",
        "wgan-gp (1,000 iters)",
    ]
    assert "Budgets differ" in drawn["title"]


def test_the_summary_figure_adds_nothing_where_all_trained_alike(drawn):
    rows = grid()
    rows.append(row("wgan", "conv", 2, 180, status="diverged"))  # where a diverged run stopped is no budget
    plot_summary(rows, "s.png", "s.pdf")
    assert drawn["labels"][:3] == ["dcgan", "wgan", "wgan-gp"] and "budget" not in drawn["title"].lower()


def test_one_architecture_trained_longer_differs_too(drawn):
    """Within one model only (the default run's WGAN-GP conv-nobn: 1,200 against 600)."""
    budget = lambda m, a: 1200 if (m, a) == ("wgan-gp", "conv-nobn") else 600  # noqa: E731
    plot_summary(grid(budget, architectures=("conv", "conv-nobn", "mlp")), "s.png", "s.pdf")
    assert drawn["labels"][:3] == ["dcgan (600 iters)", "wgan (600 iters)", "wgan-gp (600 iters; conv-nobn 1,200)"]
    assert "Budgets differ" in drawn["title"]


def test_the_random_architecture_figure_names_the_budgets(drawn):
    sweep = grid(lambda m, a: 600 if m == "wgan-gp" else 1000, architectures=("rand-00", "rand-01"))
    plot_robustness(sweep, "r.png", "r.pdf", fid_levels=[50], min_modes=8)
    assert drawn["labels"][:3] == ["dcgan (1,000 iters)", "wgan (1,000 iters)", "wgan-gp (600 iters)"]
    assert "Budgets differ" in drawn["title"]
    plot_robustness(grid(architectures=("rand-00", "rand-01")), "r.png", "r.pdf", fid_levels=[50], min_modes=8)
    assert drawn["labels"][:3] == ["dcgan", "wgan", "wgan-gp"] and "budget" not in drawn["title"].lower()


def test_many_architectures_of_their_own_give_the_models_range():
    counts = {"a": 1000, "b": 1000, "c": 600, "d": 700, "e": 800}
    rows = [row("wgan", a, 0, n) for a, n in counts.items()]
    assert trained.by_model(rows, ["wgan"], list(counts)) == {"wgan": "600–1,000 iters by architecture"}
    assert trained.span(rows[:2]) == "1,000" and trained.span([]) == ""


def literature(rows, tmp_path) -> str:
    report.write_summary_markdown(rows, [], None, tmp_path / "s.md")
    return (tmp_path / "s.md").read_text().split("## Against the literature", 1)[1].split("\n## ", 1)[0]


def test_the_literature_table_states_each_models_budget(tmp_path):
    text = literature(grid(study_budget), tmp_path)
    assert "| 55.5 (55–56) at 4,000 iters, conv (2) |" in text  # dcgan's best: conv, not bn-first's 1,500
    assert "| 54.5 (54–55) at 5,000 iters, conv (1) |" in text and "| 57.5 (57–58) at 1,000 iters, conv (3) |" in text
    assert "Here the budgets differ (generator iterations beside each FID)" in text
    text = literature(grid(), tmp_path)
    assert text.count("at 1,000 iters") == 3 and "budgets differ" not in text
    assert "Here the budgets are this config's" in text
