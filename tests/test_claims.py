"""The claim verdicts, on rows built to give each verdict, and the summary files."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from wganlib.report import report
from wganlib.verdicts import claims, runs

THRESHOLDS = {"tracking_margin": 0.2, "good_fid": 20.0, "fid_margin": 1.5, "min_modes": 8}
SNAPSHOTS = tuple(range(0, 1001, 50))


def curves(seed, fid, tracks):
    """Snapshots where FID falls to ``fid``, higher for later seeds; the estimate ranks the seeds
    as FID does (``tracks``) or the other way round."""
    course = [1 + 4 * math.exp(-t / 300) for t in SNAPSHOTS]
    level = 1 + 0.1 * seed
    estimate = [fid * (level if tracks else 2 - level) * c for c in course]
    return {"iteration": SNAPSHOTS, "estimate": tuple(estimate), "fid": tuple(fid * level * c for c in course)}


CLAIM_ORDER = ["EM tracks", "JS does not", "conv-nobn", "mlp", "conv-bn-first", "speed", "speed in seconds"]


def row(
    model,
    architecture,
    seed=0,
    *,
    fid=10.0,
    modes=10,
    status="completed",
    rho=math.nan,
    changes=None,
    its=None,
    secs=None,
    updates=None,
    dataset="mnist-5k",
):
    tracks = None if math.isnan(rho) else rho >= 0.6  # the estimate ranks the seeds by FID, or against it
    return {
        "experiment": f"{model}-{architecture}-s{seed}",
        "dataset": dataset,
        "model": model,
        "architecture": architecture,
        "seed": seed,
        "status": status,
        "diverged_at": 300 if status == "diverged" else None,
        "generator_iterations": 1000,
        "wall_time_s": 60.0,
        "fid": fid,
        "kid": 0.01,
        "kid_std": 0.001,
        "classifier_score": 9.0,
        "modes_covered": modes,
        "class_kl": 0.1,
        "fid_above_real": fid - 1,
        "spearman_em_fid": rho if model != "dcgan" else math.nan,
        "spearman_js_fid": rho if model == "dcgan" else math.nan,
        # the tracking claims' number: the correlation of changes, by default as strong as rho
        "spearman_em_fid_changes": (rho if changes is None else changes) if model != "dcgan" else math.nan,
        "spearman_js_fid_changes": (rho if changes is None else changes) if model == "dcgan" else math.nan,
        "iterations_to_threshold": its,
        "seconds_to_threshold": secs if secs is not None else (None if its is None else its / 2),
        "critic_updates_to_threshold": updates
        if updates is not None
        else (None if its is None else its * (1 if model == "dcgan" else 5)),
        "fid_threshold": THRESHOLDS["good_fid"],
        "curves": None if tracks is None else curves(seed, 10.0 if math.isnan(fid) else fid, tracks),
    }


def paper_grid(seeds=range(5)):
    """Rows where every claim of the paper holds."""
    rows = []
    for seed in seeds:
        rows += [
            row("wgan", "conv", seed, fid=12, rho=0.9, its=800),
            row("wgan-gp", "conv", seed, fid=11, rho=0.8, its=700),
            row("dcgan", "conv", seed, fid=12, rho=0.1, its=300),
            row("wgan", "conv-nobn", seed, fid=15, rho=0.85),
            row("dcgan", "conv-nobn", seed, fid=math.nan, status="diverged", rho=-0.3),
            row("wgan", "mlp", seed, fid=18, modes=10, rho=0.95),
            row("dcgan", "mlp", seed, fid=60, modes=2, rho=0.2),
            row("wgan", "conv-bn-first", seed, fid=40, rho=0.7),
        ]
    return rows


def contrary_grid():
    """Rows where every claim fails."""
    rows = []
    for seed in range(5):
        rows += [
            row("wgan", "conv", seed, fid=12, rho=0.1, its=100),
            row("dcgan", "conv", seed, fid=12, rho=0.9, its=900),
            row("wgan", "conv-nobn", seed, fid=15, rho=0.2),
            row("dcgan", "conv-nobn", seed, fid=16, rho=0.8),
            row("wgan", "mlp", seed, fid=18, modes=4, rho=0.3),
            row("dcgan", "mlp", seed, fid=18, modes=10, rho=0.7),
            row("wgan", "conv-bn-first", seed, fid=12.5, rho=0.1),
        ]
    return rows


def verdicts(rows, thresholds=THRESHOLDS):
    """Claim -> verdict, without the level that two or three seeds add ("reproduced (50 % interval)"),
    which the tests of the interval check."""
    result = claims.evaluate_claims(rows, thresholds)
    assert len(result) == len(CLAIM_ORDER)
    assert all(set(c) >= {"claim", "evidence", "verdict"} and c["evidence"] for c in result)
    return dict(zip(CLAIM_ORDER, (re.sub(r" \([\d.]+ % interval\)$", "", c["verdict"]) for c in result), strict=True))


def test_all_claims_reproduced():
    assert set(verdicts(paper_grid()).values()) == {"reproduced"}


def test_all_claims_not_reproduced():
    assert set(verdicts(contrary_grid()).values()) == {"not reproduced"}


def test_missing_runs_are_inconclusive():
    assert set(verdicts([]).values()) == {"inconclusive"}
    only_wgan_conv = [row("wgan", "conv", seed, rho=0.9, its=500) for seed in range(5)]  # no JS to compare
    got = verdicts(only_wgan_conv)
    assert got["EM tracks"] == "reproduced"
    assert {v for k, v in got.items() if k != "EM tracks"} == {"inconclusive"}


def test_one_seed_is_inconclusive_and_says_so():
    """A comparison needs a spread over seeds, and the tracking claims rank seeds: one seed's runs
    differ in architecture and model, no replicates."""
    result = claims.evaluate_claims([r for r in paper_grid() if r["seed"] == 0], THRESHOLDS)
    tracking, comparisons = result[:2], result[2:]
    assert {c["verdict"] for c in comparisons} == {"inconclusive: one seed"}
    assert all(
        (c["seeds"], c["agreeing"], c["out_of"], c["over"]) == (1, 1, 1, "seed")
        and "1 of 1 seed agree" in c["evidence"]
        for c in comparisons
    )
    assert [(c["verdict"], c["seeds"]) for c in tracking] == [("inconclusive: one seed", 1)] * 2
    assert all("low" not in c for c in tracking)
    contrary = [dict(r, convergence="still improving") for r in contrary_grid() if r["seed"] == 0]
    verdicts_one_seed = [c["verdict"] for c in claims.evaluate_claims(contrary, THRESHOLDS)]
    assert verdicts_one_seed[2] == "inconclusive: one seed, still improving (dcgan-conv-nobn-s0, wgan-conv-nobn-s0)"


def three_seeds(wgan_fids, dcgan_fids):
    return [row("wgan", "conv-nobn", s, fid=w) for s, w in enumerate(wgan_fids)] + [
        row("dcgan", "conv-nobn", s, fid=d, status="diverged" if math.isnan(d) else "completed")
        for s, d in enumerate(dcgan_fids)
    ]


def test_unanimous_seeds_give_a_verdict_with_its_interval():
    """Three seeds: [min, max] is the only interval, and it covers the median 75 % of the time;
    the verdict says so, and the evidence how many seeds 90 % needs."""
    claim = claims.evaluate_claims(three_seeds([10, 12, 11], [30, 40, math.nan]), THRESHOLDS)[2]
    assert claim["verdict"] == "reproduced (75 % interval)"
    assert (claim["seeds"], claim["agreeing"], claim["over"], claim["level"]) == (3, 3, "seed", 0.75)
    assert claim["low"] == pytest.approx(3.0) and claim["high"] == math.inf  # the diverged GAN: ratio inf
    assert "3 of 3 seeds agree" in claim["evidence"]
    assert "75 % order-statistic interval over seeds [3, inf] (90 % needs 5 seeds)" in claim["evidence"]
    claim = claims.evaluate_claims(three_seeds([10, 12, 11], [11, 12, 10]), THRESHOLDS)[2]
    assert claim["verdict"] == "not reproduced (75 % interval)" and claim["agreeing"] == 0


def test_enough_seeds_give_the_configured_level_and_say_nothing_more():
    six = three_seeds([10, 12, 11, 10, 12, 11], [30, 40, 35, 31, 33, 30])
    claim = claims.evaluate_claims(six, THRESHOLDS)[2]
    assert claim["verdict"] == "reproduced" and claim["level"] == pytest.approx(1 - 2 / 64)
    assert "96.9 % order-statistic interval" in claim["evidence"] and "needs" not in claim["evidence"]
    five = claims.evaluate_claims(six[:5] + six[6:11], THRESHOLDS)[2]  # the default level, 90 %
    assert five["seeds"] == 5 and five["verdict"] == "reproduced" and "93.8 %" in five["evidence"]


def test_split_seeds_are_inconclusive():
    claim = claims.evaluate_claims(three_seeds([10, 12, 11], [30, 40, 11]), THRESHOLDS)[2]
    assert claim["verdict"] == "inconclusive: seeds disagree" and claim["agreeing"] == 2
    assert claim["low"] < THRESHOLDS["fid_margin"] <= claim["high"]


def test_a_diverged_seed_counts_as_failed():
    """WGAN diverging on one seed of three: its FID is infinite there, the ratio 0."""
    rows = three_seeds([15, math.nan, 12], [30, 30, 30])
    rows[1]["status"] = "diverged"
    claim = claims.evaluate_claims(rows, THRESHOLDS)[2]
    assert claim["verdict"] == "inconclusive: seeds disagree" and claim["agreeing"] == 2
    assert claim["low"] == 0 and "1 diverged" in claim["evidence"]
    rows[0]["status"] = rows[2]["status"] = "diverged"
    claim = claims.evaluate_claims(rows, THRESHOLDS)[2]
    assert claim["verdict"] == "not reproduced (75 % interval)" and claim["agreeing"] == 0


def test_both_diverging_in_every_seed_is_a_tie_by_rule():
    """Both configurations failing: equally bad, ratio 1, so neither claim of "fails where the other
    trains" nor of "hurts" holds; a rule, not a comparison of NaNs."""
    rows = three_seeds([math.nan] * 3, [math.nan] * 3)
    for r in rows:
        r["status"] = "diverged"
    claim = claims.evaluate_claims(rows, THRESHOLDS)[2]
    assert (claim["low"], claim["high"], claim["out_of"]) == (1.0, 1.0, 3)
    assert claim["verdict"] == "not reproduced (75 % interval)"
    assert "both diverged = equally failed, ratio 1" in claim["evidence"]


def test_verdicts_follow_the_thresholds_not_constants():
    assert verdicts(paper_grid(), {**THRESHOLDS, "fid_margin": 5.0})["conv-bn-first"] == "not reproduced"
    assert verdicts(paper_grid(), {**THRESHOLDS, "fid_margin": 2.0})["conv-bn-first"] == "reproduced"


def test_neither_reaching_good_fid_is_inconclusive():
    rows = [row(m, "conv", s, its=None) for m in ("dcgan", "wgan") for s in range(5)]
    assert verdicts(rows)["speed"] == "inconclusive"
    rows = [row("dcgan", "conv", s, its=None) for s in range(5)] + [row("wgan", "conv", s, its=900) for s in range(5)]
    assert verdicts(rows)["speed"] == "not reproduced"


def test_threshold_mismatch_is_inconclusive():
    got = verdicts(paper_grid(), {**THRESHOLDS, "good_fid": 5.0})
    assert got["speed"] == "inconclusive"


def test_missing_threshold_key_raises():
    with pytest.raises(KeyError, match="fid_margin"):
        claims.evaluate_claims(paper_grid(), {k: v for k, v in THRESHOLDS.items() if k != "fid_margin"})


def test_claims_per_dataset():
    rows = paper_grid() + [{**r, "dataset": "fashion-mnist"} for r in contrary_grid()]
    result = claims.evaluate_claims(rows, THRESHOLDS)
    n = len(CLAIM_ORDER)
    assert [c["dataset"] for c in result] == ["mnist-5k"] * n + ["fashion-mnist"] * n
    assert {c["verdict"] for c in result[n:]} == {"not reproduced"}


def test_csv_and_markdown(tmp_path):
    rows = paper_grid()
    rows[0]["experiment"] = "odd|name"
    report.write_summary_csv(rows, tmp_path / "summary.csv")
    back = pd.read_csv(tmp_path / "summary.csv")
    assert list(back.columns) == list(runs.SUMMARY_COLUMNS) and len(back) == len(rows)
    # rows read back from the CSV (NaN for None) give the same verdicts, but for the tracking claims,
    # whose curves the CSV does not hold
    assert list(verdicts(back.to_dict("records")).values())[2:] == list(verdicts(rows).values())[2:]

    result = claims.evaluate_claims(rows, THRESHOLDS)
    floor = {"fid": 1.23, "kid": 0.0, "kid_std": 0.0, "classifier_score": 9.9, "modes_covered": 10, "class_kl": 0.01}
    report.write_summary_markdown(rows, result, floor, tmp_path / "summary.md", thresholds=THRESHOLDS)
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("# ")
    assert "| experiment | status |" in text and "odd\\|name" in text
    assert "Real-data floor" in text and "FID 1.23" in text
    assert "| claim | evidence | agreeing | verdict |" in text and "| 5 of 5 seeds |" in text
    assert text.count("**reproduced**") == len(CLAIM_ORDER)
    assert "KID ± s.d. over subsets" in text and "not the uncertainty of that mean" in text
    assert "tracking_margin = 0.2" in text and "diverged at 300" in text
    assert not list(tmp_path.glob(".*"))


# -- "not reproduced" only when the runs it rests on converged ---------------------------------


@pytest.mark.parametrize("state", ["still improving", "not started", "too few snapshots"])
def test_not_reproduced_becomes_inconclusive_when_a_run_has_not_converged(state):
    rows = contrary_grid()
    assert verdicts(rows)["conv-nobn"] == "not reproduced"
    for r in rows:
        if r["experiment"] == "wgan-conv-nobn-s0":
            r["convergence"] = state
    verdict = verdicts(rows)["conv-nobn"]
    assert verdict == f"inconclusive: not reproduced within 1,000 generator iterations; {state} (wgan-conv-nobn-s0)"
    assert verdicts(rows)["mlp"] == "not reproduced"  # a claim that does not rest on that run


def test_an_unsettled_verdict_names_the_budget_its_runs_had():
    """What was learned is bounded by the budgets of the runs that could still change it."""
    rows = contrary_grid()
    for r in rows:
        if r["architecture"] == "conv-nobn" and r["seed"] == 0:
            r["convergence"] = "still improving"
            r["generator_iterations"] = 4000 if r["model"] == "dcgan" else 5000
    assert verdicts(rows)["conv-nobn"] == (
        "inconclusive: not reproduced within 4,000-5,000 generator iterations; "
        "still improving (dcgan-conv-nobn-s0, wgan-conv-nobn-s0)"
    )


def test_a_diverged_or_plateaued_run_keeps_the_verdict():
    rows = contrary_grid()
    for r in rows:
        r["convergence"] = "diverged" if r["status"] == "diverged" else "plateaued"
    assert set(verdicts(rows).values()) == {"not reproduced"}


def test_an_unconverged_run_does_not_touch_a_reproduced_verdict():
    rows = paper_grid()
    for r in rows:
        r["convergence"] = "still improving"
    assert set(verdicts(rows).values()) == {"reproduced"}


def test_a_crossing_is_final_however_the_run_went_on():
    """The GAN crosses good_fid at 600 and keeps improving, WGAN at 500: the speed claim fails on
    numbers no longer budget can move. A run that never crossed and still improves could."""
    rows = [row("dcgan", "conv", s, its=600) for s in range(3)] + [row("wgan", "conv", s, its=500) for s in range(3)]
    for r in rows:
        r["convergence"] = "still improving"
    assert verdicts(rows)["speed"] == "not reproduced"
    rows[0]["iterations_to_threshold"] = rows[0]["seconds_to_threshold"] = math.nan  # the GAN never got there
    assert verdicts(rows)["speed"] == (
        "inconclusive: not reproduced within 1,000 generator iterations; still improving (dcgan-conv-s0)"
    )
    for r in rows:
        r["convergence"] = "plateaued"
    assert verdicts(rows)["speed"] == "not reproduced"


def test_speed_is_judged_in_generator_iterations_and_in_critic_updates_apart():
    """WGAN's iterations cost 5 critic updates (and bursts of 100): fewer iterations can still be
    more compute. Wall-clock seconds, with the machine's load in them, are described, not judged."""
    rows = [
        row(m, "conv", s, its=its, secs=secs)
        for m, its, secs in (("dcgan", 600, 60), ("wgan", 300, 240))
        for s in range(5)
    ]
    result = verdicts(rows)
    assert (result["speed"], result["speed in seconds"]) == ("not reproduced", "reproduced")
    evidence = claims.evaluate_claims(rows, THRESHOLDS)[-1]["evidence"]
    assert "critic updates to FID <= 20.0 (crossings confirmed by the next snapshot): dcgan median 600" in evidence
    assert (
        "wgan median 1,500" in evidence
        and "wall-clock seconds, measured under the machine's load: dcgan 60" in evidence
    )


def test_a_crossing_before_a_divergence_stays_a_crossing():
    """A run that crossed good_fid and later diverged reached good samples when it did."""
    rows = [row("dcgan", "conv", s, its=300) for s in range(5)] + [row("wgan", "conv", s, its=800) for s in range(5)]
    rows[0]["status"] = "diverged"
    assert verdicts(rows)["speed"] == "reproduced"
    assert claims.evaluate_claims(rows, THRESHOLDS)[5]["per_seed"][0] == pytest.approx(800 / 300)


def test_ranking_against_lucic_et_al(tmp_path):
    rows = paper_grid(seeds=(0, 1))
    for r in rows:
        if r["model"] == "wgan-gp":
            r["fid"] = 30 if r["seed"] == 0 else 40
    ranking = report.literature_ranking(rows, "mnist-5k")
    assert [(r["model"], r["lucic_rank"]) for r in ranking] == [("wgan", 1), ("dcgan", 2), ("wgan-gp", 3)]
    assert {r["model"]: (r["fid"], r["architecture"], r["rank"]) for r in ranking} == {
        "wgan": (12, "conv", 1),  # its best architecture; dcgan's conv-nobn diverged (inf)
        "dcgan": (12, "conv", 2),
        "wgan-gp": (35, "conv", 3),
    }
    report.write_summary_markdown(rows, claims.evaluate_claims(rows, THRESHOLDS), None, tmp_path / "s.md")
    text = (tmp_path / "s.md").read_text()
    assert "## Against the literature (mnist-5k)" in text and "6.7 ± 0.4 (1)" in text
    assert "Here too WGAN-GP comes after both." in text and "only the order is comparable" in text
    assert "| 35 (30–40) at 1,000 iters, conv (3) |" in text  # the spread over seeds, to tell a tie from an order
    for r in rows:
        r["convergence"] = "still improving" if r["model"] == "wgan-gp" else "plateaued"
    ranking = report.literature_ranking(rows, "mnist-5k")
    assert [r["unfinished"] for r in ranking] == [False, False, True]


def test_the_claim_table_names_each_claims_written_test_and_the_config_keys_it_reads():
    """Claims are data: each row names its source, its quantity, the docs/metrics.md block that
    wrote its test down before it was applied, and thresholds the config's `claims` has."""
    from pathlib import Path

    from wganlib.plan import config as cfg

    docs = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text()
    blocks = re.findall(r"^### (.*)$", docs, flags=re.M)
    keys = set(cfg.validate({})["claims"])
    assert len({c.claim for c in claims.CLAIMS}) == len(claims.CLAIMS)
    for c in claims.CLAIMS:
        assert c.source and c.quantity, c.claim
        assert any(block.startswith(c.test) for block in blocks), (c.claim, c.test)
        assert set(c.thresholds) <= keys, (c.claim, set(c.thresholds) - keys)
