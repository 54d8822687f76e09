"""Random architectures (config `robustness`): the draw, the grid they join, success per run and
per method, the non-inferiority claim, the summary's tables and the figure."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import snakemake, summary_row
from matplotlib.figure import Figure
from PIL import Image
from wganlib.plan import architectures
from wganlib.plan import config as cfg
from wganlib.report import plots, report
from wganlib.report.plots.summary import _one_scale
from wganlib.verdicts import claims, intervals, robustness

TINY_SPACE = {  # every block option, at widths a test trains in seconds
    "generator": {
        "type": ["conv", "mlp"],
        "conv": {
            "width": [2, 4],
            "depth": [0, 1],
            "constant_width": [False, True],
            "batch_norm": ["all", "first", "none"],
        },
        "mlp": {"width": [8], "depth": [1, 2], "batch_norm": ["none", "all"], "output": ["linear", "tanh"]},
    },
    "critic": {
        "type": ["conv", "mlp"],
        "conv": {"width": [2, 4], "depth": [0, 1], "constant_width": [False, True], "batch_norm": [True, False]},
        "mlp": {"width": [8], "depth": [1], "batch_norm": [True, False]},
    },
}


# The first sweep (2026-11-24), whose architectures and training times the design rests on
FIRST_SWEEP = Path(__file__).resolve().parents[1] / "docs" / "evidence" / "sweep-2026-11-24"


def grid(count: int, seed: int = 0, **config) -> dict:
    return cfg.validate({"architectures": [], "robustness": {"architectures": count, "seed": seed}, **config})


def definitions(config: dict) -> dict:
    return {n: config["architecture_definitions"][n] for n in config["architectures"] if robustness.is_random(n)}


# -- the draw -----------------------------------------------------------------------------------


def test_same_seed_same_architectures_another_seed_others():
    assert definitions(grid(6)) == definitions(grid(6))
    assert definitions(grid(6)) != definitions(grid(6, seed=1))
    assert list(definitions(grid(3))) == ["rand-00", "rand-01", "rand-02"]


def test_more_architectures_add_new_ones_and_leave_the_others_untouched():
    """The train jobs' params are the experiments' JSON: equal JSON, nothing reruns."""
    few, more = (cfg.experiments(grid(n)) for n in (4, 6))
    assert set(few) < set(more) and len(more) - len(few) == 2 * 3
    assert all(more[key].to_json() == few[key].to_json() for key in few)


def test_draws_use_every_choice_of_the_space_and_nothing_else():
    drawn = [architectures.draw(TINY_SPACE, 0, i) for i in range(300)]
    for net in ("generator", "critic"):
        assert {d[net]["type"] for d in drawn} == set(TINY_SPACE[net]["type"])
        for kind in TINY_SPACE[net]["type"]:
            for key, options in TINY_SPACE[net][kind].items():
                seen = {d[net][key] for d in drawn if d[net]["type"] == kind}
                assert seen == set(options), (net, kind, key)


# -- the redraw rule (docs/robustness-design.md) -----------------------------------------------------


def test_the_cost_ranks_the_first_sweeps_runs_by_their_time():
    """The redraw rule's cost, from shapes alone, tracks what the WGAN runs of the first sweep took
    (r 0.99 there); the GAN's runs, cheap and dominated by overheads, less."""
    drawn = yaml.safe_load((FIRST_SWEEP / "architectures.yaml").read_text())["architectures"]
    times = pd.read_csv(FIRST_SWEEP / "training_times.csv").set_index(["model", "architecture"])["wall_time_s"]
    cost = [architectures.cost(d, z_dim=64) for d in drawn.values()]
    for model, least in (("wgan", 0.98), ("wgan-gp", 0.95)):
        seconds = [times[model, n] for n in drawn]
        assert np.corrcoef(cost, seconds)[0, 1] > least, model


def test_the_redraw_rule_keeps_passing_draws_and_redraws_the_others_deterministically():
    space = grid(1)["robustness"]["space"]
    capped = {"space": space, "seed": 0, "architectures": 60, "max_cost": 50}
    kept = architectures.draw_all(capped)
    assert kept == architectures.draw_all(capped)  # deterministic
    assert all(architectures.cost(d) <= 50 for d in kept.values())
    redrawn = {n for n, d in kept.items() if d != architectures.draw(space, 0, int(n[5:]))}
    uncapped = architectures.draw_all({**capped, "max_cost": None})
    assert redrawn == {n for n, d in uncapped.items() if architectures.cost(d) > 50}
    assert redrawn == {"rand-10", "rand-13", "rand-22", "rand-32", "rand-47", "rand-55", "rand-57"}
    for n in redrawn:  # the first passing attempt, counted in the key
        assert architectures.attempt_of(capped, n, kept[n]) == 1
    # the first sweep's architectures stay, but rand-10 (55.8, the costliest run of that sweep)
    committed = yaml.safe_load((FIRST_SWEEP / "architectures.yaml").read_text())["architectures"]
    assert [n for n in committed if not architectures.same_blocks(committed[n], kept[n])] == ["rand-10"]


def test_unbuildable_draws_are_redrawn_and_an_impossible_cap_is_refused():
    conv_or_mlp = {"type": ["conv", "mlp"], "conv": {"width": [4]}, "mlp": {"width": [8], "depth": [1]}}
    space = {"generator": conv_or_mlp, "critic": conv_or_mlp}
    robust = {"space": space, "seed": 0, "architectures": 8, "max_cost": None}
    odd = architectures.draw_all(robust, [(20, 20, 1)])  # no conv network builds for 20x20
    assert all(d[net]["type"] == "mlp" for d in odd.values() for net in d)
    assert any(d["generator"]["type"] == "conv" for d in architectures.draw_all(robust).values())
    with pytest.raises(cfg.ConfigError, match="max_cost"):
        cfg.validate({"architectures": [], "robustness": {"architectures": 2, "max_cost": 0.001}})


def test_random_architectures_join_the_grid_after_the_listed_ones_with_every_model():
    config = grid(2, architectures=["conv"])
    assert config["architectures"] == ["conv", "rand-00", "rand-01"]
    names = sorted(name for _, name in cfg.experiments(config))
    assert names == sorted(f"{m}-{a}-s0" for m in ("dcgan", "wgan", "wgan-gp") for a in config["architectures"])
    assert cfg.validate(config) == config  # validating twice changes nothing


def test_config_mistakes_about_random_architectures():
    with pytest.raises(cfg.ConfigError, match=r"architectures: the list is empty.*robustness\.architectures"):
        cfg.validate({"architectures": []})
    mine = {"generator": {"type": "mlp"}, "critic": {"type": "conv"}}
    with pytest.raises(cfg.ConfigError, match=r"architecture_definitions\.rand-00: .*random architecture.*rename"):
        grid(2, architecture_definitions={"rand-00": mine})
    with pytest.raises(cfg.ConfigError, match=r"robustness\.space\.generator\.conv\.batch_norm\[0\].*choose one of"):
        grid(
            2,
            robustness={
                "architectures": 2,
                "space": {
                    "generator": {"type": ["conv"], "conv": {"batch_norm": ["al"]}},
                    "critic": {"type": ["conv"]},
                },
            },
        )


@pytest.mark.slow
def test_every_drawn_architecture_builds_and_trains():
    """Eight architectures of the tiny space (both generator and critic types, every batch-norm
    placement) with the three models: built, two training iterations, finite losses."""
    import dataclasses

    from wganlib.train.gan import GAN

    config = cfg.validate(
        {
            "architectures": [],
            "robustness": {"architectures": 8, "space": TINY_SPACE},
            "training": {"batch_size": 8, "z_dim": 4},
        }
    )
    drawn = definitions(config).values()
    assert {d["generator"]["type"] for d in drawn} == {"conv", "mlp"} and {d["critic"]["type"] for d in drawn} == {
        "conv",
        "mlp",
    }
    assert {d["generator"]["batch_norm"] for d in drawn} == {"all", "first", "none"}
    images = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    for exp in cfg.experiments(config).values():
        gan = GAN(dataclasses.replace(exp, critic_burst=None, n_critic=1), images)
        for _ in range(2):
            logged = gan.train_iteration(np.arange(8, dtype=np.int32).reshape(1, 8))
        assert all(math.isfinite(float(v)) for v in logged.values() if v is not None), exp.name


# -- success, the tables and the claim's test --------------------------------------------------------


def row(model, architecture, fid, modes=10, seed=0, status="completed", convergence="plateaued"):
    """A summary row; success reads the snapshot FID reached, here the same as the final one."""
    values = {"fid": fid, "fid_reached": fid, "modes_covered": modes, "convergence": convergence}
    return summary_row(model, architecture, seed, status=status, **values)


def runs(outcomes: dict[str, tuple], seed: int = 0) -> list[dict]:
    """architecture -> (GAN FID, WGAN FID, WGAN-GP FID); FID None: diverged."""
    rows = []
    for arch, fids in outcomes.items():
        for model, fid in zip(robustness.MODELS, fids, strict=True):
            diverged = row(model, arch, math.nan, 0, seed, status="diverged")
            rows.append(diverged if fid is None else row(model, arch, fid, seed=seed))
    return rows


def test_success_needs_the_fid_level_and_the_modes_and_a_diverged_run_fails():
    assert robustness.succeeded(row("wgan", "rand-00", 40), 50, 8)
    assert not robustness.succeeded(row("wgan", "rand-00", 60), 50, 8)
    assert not robustness.succeeded(row("wgan", "rand-00", 40, modes=3), 50, 8)  # a collapsed run
    assert not robustness.succeeded(row("wgan", "rand-00", math.nan, status="diverged"), 50, 8)
    assert robustness.succeeded(row("wgan", "rand-00", math.nan), 50, 8) is None  # not evaluated
    # the bar is the snapshot FID the speed claims' crossing reads, not the 2,000-sample final one
    assert not robustness.succeeded(dict(row("wgan", "rand-00", 48), fid_reached=51), 50, 8)
    assert robustness.succeeded(dict(row("wgan", "rand-00", 52), fid_reached=49), 50, 8)


def test_success_table_counts_each_architecture_once():
    rows = runs(
        {
            "rand-00": (30, 30, 30),  # all
            "rand-01": (300, 30, 300),  # only wgan
            "rand-02": (None, 300, 30),  # only wgan-gp
            "rand-03": (300, 300, 300),  # none
            "rand-04": (300, 30, 30),  # all but dcgan
            "rand-05": (30, 300, 300),  # only dcgan
        }
    ) + [row("wgan", "conv", 30)]  # not random: not counted
    table = robustness.success_table(rows, 50, 8)
    assert table == {
        "only dcgan": 1, "only wgan": 1, "only wgan-gp": 1, "all": 1, "none": 1,
        "all but dcgan": 1, "all but wgan": 0, "all but wgan-gp": 0,
    }  # fmt: skip
    assert sum(table.values()) == 6
    assert robustness.success_table(rows, 500, 8)["all"] == 5  # rand-02's GAN diverged


THRESHOLDS = {"tracking_margin": 0.2, "good_fid": 50.0, "fid_margin": 1.5, "min_modes": 8}


def robustness_claim(rows):
    result = claims.evaluate_claims(rows, THRESHOLDS)
    assert result[-1]["claim"] == claims.ROBUSTNESS_CLAIM
    return result[-1]


def test_the_claim_is_non_inferiority_with_a_margin():
    """ "At least as many" is judged on the interval for WGAN's success rate minus the GAN's: a tie
    reads as non-inferior only when the interval rules out a deficit beyond the margin."""
    wgan_better = runs({f"rand-{i:02d}": (300, 30, 30) for i in range(6)} | {"rand-06": (30, 30, 30)})
    claim = robustness_claim(wgan_better)
    assert claim["verdict"] == "reproduced: more" and claim["low"] == pytest.approx(0.339, abs=1e-3)
    assert (claim["agreeing"], claim["out_of"], claim["over"]) == (7, 7, "architecture")
    assert "only WGAN 6, only the GAN 0, both 1, neither 0" in claim["evidence"]

    gan_better = runs({f"rand-{i:02d}": (30, 300, 30) for i in range(6)})
    assert robustness_claim(gan_better)["verdict"] == "not reproduced"
    for r in gan_better:
        if r["experiment"] == "wgan-rand-03-s0":
            r["convergence"] = "still improving"
    assert robustness_claim(gan_better)["verdict"] == "inconclusive: still improving (wgan-rand-03-s0)"

    split = runs({"rand-00": (300, 30, 30), "rand-01": (300, 30, 30), "rand-02": (30, 300, 30)})
    claim = robustness_claim(split)  # more for WGAN in the counts, but three architectures rule out nothing
    assert claim["verdict"] == "inconclusive: too few architectures (3 discordant; difference in [-0.49, 0.84])"
    assert "which needs 3 architectures for 80 %" not in claim["evidence"] and "power" in claim["evidence"]
    nothing = runs({"rand-00": (300, 300, 30), "rand-01": (None, 300, 30)})
    assert robustness_claim(nothing)["verdict"] == "inconclusive: nothing succeeded"
    one_both = runs({"rand-00": (30, 30, 30)})  # no discordant architecture is no evidence of a tie
    assert robustness_claim(one_both)["verdict"].startswith("inconclusive: too few architectures (0 discordant")


def test_a_tie_is_non_inferior_only_with_enough_architectures():
    """The sweep's 2-2 tie over 12 architectures cannot rule out a deficit of 0.2; 10-10 over 60 can."""
    outcomes = [(300, 30, 30)] * 2 + [(30, 300, 30)] * 2 + [(30, 30, 30)] + [(300, 300, 30)] * 7
    claim = robustness_claim(runs({f"rand-{i:02d}": o for i, o in enumerate(outcomes)}))
    assert claim["verdict"] == "inconclusive: too few architectures (4 discordant; difference in [-0.29, 0.29])"
    assert (
        "with 4 of 12 split, this design has 33 % power at that margin, which needs 52 architectures for 80 %"
        in claim["evidence"]
    )
    outcomes = [(300, 30, 30)] * 10 + [(30, 300, 30)] * 10 + [(30, 30, 30)] * 20 + [(300, 300, 30)] * 20
    claim = robustness_claim(runs({f"rand-{i:02d}": o for i, o in enumerate(outcomes)}))
    assert claim["verdict"] == "reproduced: non-inferior, WGAN at most 0.2 behind"
    assert (claim["low"], claim["high"]) == pytest.approx((-0.125, 0.125), abs=1e-3)
    failed_everywhere = runs({f"rand-{i:02d}": (300, 300, 30) for i in range(60)})  # a tie of nothing
    assert robustness_claim(failed_everywhere)["verdict"] == "inconclusive: nothing succeeded"


def test_the_score_interval_has_its_level_and_the_design_its_power():
    """Simulated: at a true deficit of exactly the margin, "non-inferior" comes at most 5 % of the
    time (the one-sided level of a 90 % interval); with equal rates and a third of the architectures
    split, the number items_needed gives reaches about 80 % power."""
    rng = np.random.default_rng(0)
    n = intervals.items_needed(0.2, 1 / 3, 0.9)
    assert n == 52 and intervals.items_needed(0.1, 1 / 3, 0.9) == 207

    def non_inferior(p_wgan_only, p_gan_only, trials=400):
        draws = rng.multinomial(n, [p_wgan_only, p_gan_only, 1 - p_wgan_only - p_gan_only], size=trials)
        return np.mean([intervals.paired_difference_interval(b, c, n, 0.9)[0] > -0.2 for b, c, _ in draws])

    assert non_inferior(1 / 6 - 0.1, 1 / 6 + 0.1) <= 0.05 + 0.03  # a deficit of 0.2: the level
    assert 0.7 <= non_inferior(1 / 6, 1 / 6) <= 0.92  # no deficit: the power
    assert intervals.non_inferiority_power(n, 0.2, 1 / 3, 0.9) == pytest.approx(0.8, abs=0.01)


def test_the_test_pairs_architectures_not_seeds():
    """Four architectures where only WGAN succeeds, under three seeds: four pairs, not twelve. A
    model succeeds on an architecture when most of its seeds did."""
    only_wgan = {f"rand-{i:02d}": (300, 30, 30) for i in range(4)}
    rows = [r for seed in range(3) for r in runs(only_wgan, seed)]
    claim = robustness_claim(rows)
    assert (claim["out_of"], claim["seeds"], claim["verdict"]) == (4, 3, "reproduced: more")
    assert claim["low"] == pytest.approx(intervals.paired_difference_interval(4, 0, 4, 0.9)[0])
    assert "4 architectures: only WGAN 4" in claim["evidence"] and "majority of its 3 seeds" in claim["evidence"]
    for r in rows:  # WGAN fails on rand-00 in two seeds of three: the architecture counts as failed
        if r["model"] == "wgan" and r["architecture"] == "rand-00" and r["seed"] in (1, 2):
            r["fid_reached"] = 300
    cells = robustness.by_architecture(rows, 50, 8, models=("dcgan", "wgan"))
    assert cells[("mnist-5k", "rand-00")] == {"dcgan": False, "wgan": False}
    assert cells[("mnist-5k", "rand-01")] == {"dcgan": False, "wgan": True}


def test_a_success_is_final_for_the_verdict():
    """The GAN ahead significantly: a still-improving WGAN run that failed could change that, one
    that succeeded cannot (its crossing is final)."""
    rows = runs({f"rand-{i:02d}": (30, 300, 30) for i in range(6)} | {"rand-06": (30, 30, 30)})
    for r in rows:
        r["convergence"] = "still improving" if r["experiment"] == "wgan-rand-06-s0" else "plateaued"
    assert robustness_claim(rows)["verdict"] == "not reproduced"


def test_the_claim_appears_only_with_random_architectures():
    rows = [row("wgan", "conv", 30), row("dcgan", "conv", 30)]
    assert all(c["claim"] != claims.ROBUSTNESS_CLAIM for c in claims.evaluate_claims(rows, THRESHOLDS))
    only_wgan = [row("wgan", "rand-00", 30)]
    assert robustness_claim(only_wgan)["verdict"] == "inconclusive"


def test_summary_tables_and_figure(tmp_path):
    config = grid(3)
    rows = runs({"rand-00": (30, 30, 30), "rand-01": (300, 30, None), "rand-02": (300, 80, 30)})
    settings = {"fid_levels": [50, 100], "min_modes": 8, "architectures": definitions(config)}
    report.write_summary_markdown(
        rows, claims.evaluate_claims(rows, THRESHOLDS), None, tmp_path / "s.md", random_architectures=settings
    )
    text = (tmp_path / "s.md").read_text()
    assert "## Random architectures (mnist-5k)" in text
    assert "| succeeded | FID <= 50 | FID <= 100 |" in text
    assert "| only wgan | 1 | 1 |" in text and "| all | 1 | 1 |" in text and "| all but dcgan | 0 | 1 |" in text
    assert all(f"| {name} | " in text for name in settings["architectures"])
    plots.plot_robustness(rows, tmp_path / "r.png", tmp_path / "r.pdf", fid_levels=[50, 100], min_modes=8)
    with Image.open(tmp_path / "r.png") as image:
        assert image.width > 600 and image.height > 600
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_the_figure_of_many_architectures_wraps_into_rows_of_twenty(tmp_path):
    """A sweep of 60 drawn in one row was 6,060 px wide; rows of 20 keep each one readable."""
    sizes = []
    for n in (20, 25):
        rows = runs({f"rand-{i:02d}": (300, 30, None) for i in range(n)})
        plots.plot_robustness(rows, tmp_path / f"{n}.png", tmp_path / f"{n}.pdf", fid_levels=[50], min_modes=8)
        with Image.open(tmp_path / f"{n}.png") as image:
            sizes.append(image.size)
    (width_20, height_20), (width_25, height_25) = sizes
    assert width_25 == width_20 and 1.8 < height_25 / height_20 < 2.2


def test_rows_drawn_apart_share_one_scale_that_clips_none():
    high_row, low_row, log_row = Figure().subplots(3, 1)
    high_row.set_ylim(0, 500)
    low_row.set_ylim(0, 100)
    _one_scale([high_row, low_row])
    assert high_row.get_ylim() == low_row.get_ylim() == (0, 500)
    log_row.set_yscale("log")
    log_row.set_ylim(20, 900)
    _one_scale([high_row, log_row])
    assert high_row.get_yscale() == "log" and high_row.get_ylim() == log_row.get_ylim() == (20, 900)


# -- the workflow ----------------------------------------------------------------------------------


def test_the_sweep_config_is_planned():
    run = snakemake("-n", "--cores", "2", "--quiet", "rules", "--configfile", "config/robustness.yaml")
    assert "random_architectures" in run.stdout
    assert re.search(r"^train\s+120$", run.stdout, re.M), run.stdout  # 60 architectures, the GAN and WGAN


@pytest.mark.slow
def test_adding_random_architectures_trains_only_them(tiny_run, tmp_path):
    """The tiny grid's results, then one random architecture more: only its three runs train and
    are evaluated; its figure, definitions and claim appear."""
    root = tmp_path / "workflow"
    shutil.copytree(tiny_run, root)  # file times kept: nothing is out of date
    space = {net: {"type": ["conv"], "conv": {"width": [4]}} for net in ("generator", "critic")}
    (root / "config" / "sweep.yaml").write_text(yaml.safe_dump({"robustness": {"architectures": 1, "space": space}}))
    plan = snakemake("-n", "--cores", "2", "--configfile", "config/sweep.yaml", cwd=root).stdout
    for rule in ("train", "evaluate"):
        blocks = re.findall(rf"^rule {rule}:\n(?:    .*\n)*?    wildcards: .*experiment=([\w-]+)", plan, re.M)
        assert sorted(blocks) == sorted(f"{m}-rand-00-s0" for m in ("dcgan", "wgan", "wgan-gp")), (rule, plan[-3000:])
    snakemake("--cores", "2", "--configfile", "config/sweep.yaml", cwd=root)
    results = root / "results" / "mnist-5k"
    drawn = yaml.safe_load((results / "robustness" / "architectures.yaml").read_text())
    assert drawn["architectures"]["rand-00"]["generator"]["width"] == 4 and drawn["drawn_from"]["architectures"] == 1
    assert (results / "robustness" / "fid_per_architecture.png").stat().st_size > 1000
    summary = (results / "summary.md").read_text()
    assert "## Random architectures (mnist-5k)" in summary and claims.ROBUSTNESS_CLAIM in summary


def test_the_success_figure_shows_the_table_and_the_discordant_architectures_samples(tmp_path):
    """Per architecture each model's success; sample sheets only where the models disagree, drawn
    from the runs' samples where they exist and marked where they do not; a sweep without WGAN-GP
    (the GAN and WGAN alone) has a summary table of its two models."""
    rows = runs({"rand-00": (30, 30, 30), "rand-01": (300, 30, None), "rand-02": (300, 80, 30)})
    cells = robustness.per_model(rows, 80, 8)
    assert cells[("mnist-5k", "rand-01")] == {"dcgan": False, "wgan": True, "wgan-gp": False}
    assert [a for (_, a), c in cells.items() if robustness.discordant(c)] == ["rand-01", "rand-02"]
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28)).astype(np.float32)
    sheets = [{"model": m, "architecture": "rand-01", "seed": 0, "images": images} for m in ("dcgan", "wgan")]
    plots.plot_success(rows, sheets, tmp_path / "s.png", tmp_path / "s.pdf", fid_level=80, min_modes=8)
    with Image.open(tmp_path / "s.png") as image:
        assert image.width > 1000 and image.height > 600
    two = [r for r in rows if r["model"] != "wgan-gp"]
    plots.plot_success(two, [], tmp_path / "t.png", tmp_path / "t.pdf", fid_level=80, min_modes=8)
    blocks = {"generator": {"type": "mlp"}, "critic": {"type": "conv"}}
    settings = {"fid_levels": [100], "min_modes": 8, "architectures": {f"rand-0{i}": blocks for i in range(3)}}
    lines = report._robustness_lines(two, ["mnist-5k"], settings)
    assert any("where both models have a judged run" in line for line in lines)
    assert "| only wgan | 2 |" in lines and not any("wgan-gp" in line for line in lines)
