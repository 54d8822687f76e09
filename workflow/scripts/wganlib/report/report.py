"""The summary files shown to people: summary.csv (one row per experiment) and summary.md (the
runs, the real-data floor and the claims with their verdicts). No TensorFlow."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wganlib.common.io import atomic_path, write_text
from wganlib.common.tables import fmt, md_table
from wganlib.judge.judges import MEANING
from wganlib.plan.objectives import GAN, MODELS, WGAN, WGAN_GP, estimate_of
from wganlib.verdicts import robustness
from wganlib.verdicts.runs import METRIC_KEYS, UNFINISHED, PathLike, as_float, diverged, summary_columns

from . import mode_report, trained

# A monitored run's stop (wganlib.train.monitor's reasons), as the summary table says it.
STOPPED = {"plateaued": "stopped: plateaued", "maximum": "stopped at its maximum"}


def write_summary_csv(rows: Sequence[Mapping], path: PathLike) -> None:
    """``runs.summary_rows``' rows, one line each, in ``runs.summary_columns`` order."""
    frame = pd.DataFrame(list(rows), columns=summary_columns(rows))
    frame["iterations_to_threshold"] = frame["iterations_to_threshold"].astype("Int64")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def _floors(real_floor: Mapping | None, datasets: Sequence[Any]) -> dict:
    """Accept one floor dict (with metric keys) or a mapping dataset -> floor dict."""
    if not real_floor:
        return {}
    if any(key in real_floor for key in METRIC_KEYS):
        return {dataset: real_floor for dataset in datasets}
    return dict(real_floor)


def _features_lines(rows: Sequence[Mapping], datasets: Sequence[Any]) -> list[str]:
    """Per dataset, the features its runs' FID and KID (and precision, recall, density and coverage,
    where runs have them) were computed on (``runs.summary_rows``' ``features``; ``judges.MEANING``
    says what they are)."""
    lines = []
    for dataset in datasets:
        subset = [r for r in rows if r.get("dataset") == dataset]
        used = list(dict.fromkeys(r["features"] for r in subset if r.get("features")))
        measures = "FID and KID"
        if any(not math.isnan(as_float(r.get("precision"))) for r in subset):
            measures = "FID, KID, precision, recall, density and coverage"
        if len(used) == 1:
            lines += [f"**Features** ({dataset}): {measures} {MEANING.get(used[0], 'on ' + used[0])}.", ""]
        elif used:
            lines += [f"**Features** ({dataset}): runs on different features ({'; '.join(used)}), not comparable.", ""]
    return lines


# Lucic et al. 2018, "Are GANs Created Equal?", Table 2 (best FID on MNIST, Inception features), as
# the model table gives it, best first: model -> (FID, s.d.); and what they call each model.
LUCIC_MNIST_FID = dict(
    sorted(((m, row.literature[1:]) for m, row in MODELS.items() if row.literature), key=lambda item: item[1][0])
)
LUCIC_NAME = {m: row.literature[0] for m, row in MODELS.items() if row.literature}


def literature_ranking(rows: Sequence[Mapping], dataset: Any) -> list[dict]:
    """Per model of LUCIC_MNIST_FID: the lowest median-over-seeds final FID among its
    architectures here (a diverged run counts as FID inf), its range over seeds, the generator
    iterations its runs trained (``trained.iterations``), whether a run of it had not converged,
    and both ranks."""
    ours = {}
    for model in LUCIC_MNIST_FID:
        groups: dict = {}
        for r in rows:
            if r.get("dataset") == dataset and r.get("model") == model:
                value = math.inf if diverged(r) else as_float(r.get("fid"))
                if not math.isnan(value):
                    groups.setdefault(r.get("architecture"), []).append((value, r))
        if groups:
            arch, runs = min(groups.items(), key=lambda item: float(np.median([v for v, _ in item[1]])))
            values = [v for v, _ in runs]
            unfinished = any(r.get("convergence") in UNFINISHED for _, r in runs)
            budget = trained.iterations([r for _, r in runs])
            ours[model] = (float(np.median(values)), arch, min(values), max(values), unfinished, budget)
    theirs = sorted(LUCIC_MNIST_FID, key=lambda m: LUCIC_MNIST_FID[m][0])
    mine = sorted(ours, key=lambda m: ours[m][0])
    return [
        {
            "model": m,
            "lucic_fid": LUCIC_MNIST_FID[m],
            "lucic_rank": theirs.index(m) + 1,
            "fid": ours[m][0],
            "architecture": ours[m][1],
            "low": ours[m][2],
            "high": ours[m][3],
            "unfinished": ours[m][4],
            "iterations": ours[m][5],
            "rank": mine.index(m) + 1,
        }
        for m in theirs
        if m in ours
    ]


def _other_estimates(rows: Sequence[Mapping]) -> list[str]:
    """What rho(est., FID) reads for the models outside the paper (the model table's estimates)."""
    others = [m for m in MODELS if not MODELS[m].paper and any(r.get("model") == m for r in rows)]
    if not others:
        return []
    said = "; ".join(f"{m}, its critic's {estimate_of(m).label}" for m in others)
    return [f"rho(est., FID) of the models outside the paper: {said}. No claim reads them.", ""]


def _literature_lines(rows: Sequence[Mapping], datasets: Sequence[Any]) -> list[str]:
    lines = []
    for dataset in datasets:
        if dataset not in ("mnist", "mnist-5k"):
            continue
        ranking = literature_ranking(rows, dataset)
        if len(ranking) < 2:
            continue
        lines += [f"## Against the literature ({dataset})", ""]
        lines += md_table(
            [
                "model",
                "Lucic et al. 2018: best FID (rank)",
                "here: best median FID (range over seeds) at iterations trained, architecture (rank)",
            ],
            (
                [
                    r["model"]
                    + (f" ({LUCIC_NAME[r['model']]})" if LUCIC_NAME[r["model"]].lower() != r["model"] else ""),
                    f"{r['lucic_fid'][0]} ± {r['lucic_fid'][1]} ({r['lucic_rank']})",
                    f"{fmt(r['fid'])}"
                    + (f" ({fmt(r['low'])}–{fmt(r['high'])})" if r["high"] > r["low"] else "")
                    + (f" at {trained.say(r['iterations'])} iters" if r["iterations"] else "")
                    + f", {r['architecture']}{', still improving' if r['unfinished'] else ''} ({r['rank']})",
                ]
                for r in ranking
            ),
        )
        rank = {r["model"]: r["rank"] for r in ranking}
        behind = all(rank[WGAN_GP] > rank[m] for m in (WGAN, GAN) if m in rank) if WGAN_GP in rank else None
        differ = len({n for r in ranking for n in r["iterations"]}) > 1
        lines += [
            "",
            "Lucic et al. report the best FID of a large hyperparameter search on full MNIST with "
            "Inception features; here FID uses this project's digit classifier and one setting per model, "
            "so only the order is comparable, not the numbers. Their WGAN and NS-GAN are within each "
            "other's spread (a tie), WGAN-GP clearly behind. "
            + (
                "Here the budgets differ (generator iterations beside each FID): a model trained for fewer may "
                "rank lower for that alone, and one whose best runs were still improving may yet move up. "
                if differ
                else "Here the budgets are this config's, and a model whose best runs were still improving may yet "
                "move up. "
            )
            + {
                True: "Here too WGAN-GP comes after both.",
                False: "Here WGAN-GP does not come after both: the order differs.",
                None: "",
            }[behind],
            "",
        ]
    return lines


def _blocks(net: Mapping) -> str:
    """A network's blocks in a few words: 'conv 32, depth 1, bn first, constant width'."""
    words = [f"{net.get('type')} {net.get('width')}", f"depth {net.get('depth')}"]
    bn = net.get("batch_norm")
    words.append({True: "bn", False: "no bn", "all": "bn", "none": "no bn"}.get(bn, f"bn {bn}"))
    if net.get("constant_width"):
        words.append("constant width")
    if net.get("output") == "linear":
        words.append("linear out")
    return ", ".join(words)


def _robustness_lines(rows: Sequence[Mapping], datasets: Sequence[Any], settings: Mapping | None) -> list[str]:
    """Per dataset: the random architectures, and per FID level where only one model succeeded,
    all, none (Gulrajani et al. 2017, Table 2)."""
    definitions = (settings or {}).get("architectures") or {}
    if not definitions:
        return []
    lines = []
    for dataset in datasets:
        subset = [r for r in rows if r.get("dataset") == dataset]
        if not any(robustness.is_random(r.get("architecture")) for r in subset):
            continue
        levels, min_modes = settings["fid_levels"], settings["min_modes"]
        # the paper's models the sweep trained (a sweep of the GAN and WGAN alone has no WGAN-GP)
        models = tuple(m for m in robustness.MODELS if any(r.get("model") == m for r in subset)) or robustness.MODELS
        tables = {level: robustness.success_table(subset, level, min_modes, models) for level in levels}
        judged = len(robustness.outcomes(subset, levels[0], min_modes, models))
        every = {2: "both", 3: "all three"}.get(len(models), f"all {len(models)}")
        lines += [f"## Random architectures ({dataset})", ""]
        lines += [
            f"Success: the snapshot FIDs reached the level (a snapshot at or under it, and the next one too "
            f"or it is the last: the crossing the speed claims read) and at least {min_modes} classes covered "
            f"at the end (a diverged run fails). Counts of the {judged} architecture-seed pairs where {every} "
            "models have a judged run.",
            "",
        ]
        lines += md_table(
            ["succeeded"] + [f"FID <= {fmt(level)}" for level in levels],
            ([outcome] + [tables[level][outcome] for level in levels] for outcome in tables[levels[0]]),
        )
        lines += ["", "| architecture | generator | critic |", "| --- | --- | --- |"]
        lines += [f"| {name} | {_blocks(d['generator'])} | {_blocks(d['critic'])} |" for name, d in definitions.items()]
        lines += [""]
    return lines


def _agreement(claim: Mapping) -> str:
    """'2 of 3 seeds', '7 of 8 runs (1 seed)', or '–' without a comparison."""
    n, over = claim.get("out_of") or 0, claim.get("over") or "seed"
    if not n or (isinstance(n, float) and math.isnan(n)):
        return "–"
    n = int(n)
    text = f"{int(claim.get('agreeing', 0))} of {n} {over}{'s' if n != 1 else ''}"
    return text + (f" ({int(claim['seeds'])} seed)" if over == "run" else "")


def write_summary_markdown(
    rows: Sequence[Mapping],
    claims: Sequence[Mapping],
    real_floor: Mapping | None,
    path: PathLike,
    *,
    thresholds: Mapping | None = None,
    random_architectures: Mapping | None = None,
    after_claims: Sequence[str] = (),
) -> None:
    """A Markdown page: the runs, the real-data floor and the claims with their verdicts; with
    ``random_architectures`` ({fid_levels, min_modes, architectures: name -> definition}), the
    success counts over them."""
    datasets = list(dict.fromkeys(r.get("dataset") for r in rows))
    several = len(datasets) > 1
    lines = [f"# WGAN reproduction: {', '.join(str(d) for d in datasets) or 'no runs'}", "", "## Runs", ""]
    extra = mode_report.run_columns(rows)  # precision ... and Stacked MNIST's modes, where runs have them
    thresholds_used = {v for v in map(as_float, (r.get("fid_threshold") for r in rows)) if not math.isnan(v)}
    reach = f"iters to FID <= {fmt(next(iter(thresholds_used)))}" if len(thresholds_used) == 1 else "iters to good FID"
    header = [
        "experiment",
        "status",
        "gen. iters",
        "FID at the end",
        "FID",
        "KID ± s.d. over subsets",
        "modes",
        "class. score",
        *(title for title, _ in extra),
        "rho(est., FID)",
        "rho of changes",
        reach,
        "wall time (min)",
    ]

    def body():
        for r in rows:
            name = getattr(estimate_of(r.get("model")), "name", "em")  # the model's estimate (the model table)
            rho, changes = as_float(r.get(f"spearman_{name}_fid")), as_float(r.get(f"spearman_{name}_fid_changes"))
            status = r.get("status") or "n/a"
            if r.get("stop_reason") in STOPPED:  # a monitored run: why it stopped where it did
                status = f"{STOPPED[r['stop_reason']]} (max {fmt(r.get('max_iterations'))})"
            if diverged(r) and not math.isnan(as_float(r.get("diverged_at"))):
                status = f"diverged at {int(as_float(r['diverged_at'])):,}"
            kid = f"{fmt(r.get('kid'))} ± {fmt(r.get('kid_std'))}"
            its = as_float(r.get("iterations_to_threshold"))
            reached = (
                "n/a"
                if math.isnan(as_float(r.get("fid_threshold")))
                else ("never" if math.isnan(its) else f"{int(its):,}")
            )
            cells = [
                r.get("experiment"),
                status,
                fmt(r.get("generator_iterations")),
                r.get("convergence") or "n/a",
                fmt(r.get("fid")),
                kid,
                mode_report.ten_class_modes(r),
                fmt(r.get("classifier_score")),
                *(cell(r) for _, cell in extra),
                "n/a" if math.isnan(rho) else f"{rho:.2f}",
                "n/a" if math.isnan(changes) else f"{changes:.2f}",
                reached,
                fmt(as_float(r.get("wall_time_s")) / 60),
            ]
            yield ([r.get("dataset")] if several else []) + cells

    lines += md_table((["dataset"] if several else []) + header, body())
    lines += [
        "",
        "rho(est., FID): Spearman correlation over training between FID and the critic's "
        "EM estimate (wgan, wgan-gp) or the discriminator's JS estimate (dcgan), mostly the trend both "
        "share; rho of changes: the same between their changes from snapshot to snapshot. Both describe; "
        "neither decides a claim, since a clock scores as high on them: the tracking claims ask whether "
        "the estimate ranks a group's seeds by FID at matched iterations (docs/metrics.md). "
        "KID ± s.d.: the spread of KID over the overlapping sample subsets "
        "it averages, not the uncertainty of that mean. Iterations to FID: the first snapshot at or "
        "under it whose next snapshot is too (or that is the last), a crossing no longer budget moves. "
        "FID at the end: 'still improving' when the trend of FID over the second half of training "
        "(Theil-Sen slope) falls by more than the still_improving fraction over the last quarter; "
        "'not started' when it did not, but FID never fell by the min_progress fraction below the "
        "untrained generator's (iteration 0; runs without that snapshot use their first, an FID no "
        "higher) and never crossed good_fid; else 'plateaued'. "
        "A longer budget would change a still-improving or not-started run's numbers.",
        "",
        *_other_estimates(rows),
        *mode_report.run_notes(rows),
    ]
    lines += _features_lines(rows, datasets)
    floors = _floors(real_floor, datasets)
    for dataset, floor in floors.items():
        lines += [
            f"**Real-data floor** ({dataset}, train vs test): FID {fmt(floor.get('fid'))}, "
            f"KID {fmt(floor.get('kid'))}, "
            f"modes covered {mode_report.ten_class_modes(floor)}, "
            f"classifier score {fmt(floor.get('classifier_score'))}, "
            f"class KL {fmt(floor.get('class_kl'))}{mode_report.floor_text(floor)}.",
            "",
        ]
    lines += _literature_lines(rows, datasets)
    lines += mode_report.stacked_literature_lines(rows, floors)
    lines += _robustness_lines(rows, datasets, random_architectures)
    lines += ["## Claims", ""]
    lines += md_table(
        (["dataset"] if several else []) + ["claim", "evidence", "agreeing", "verdict"],
        (
            ([c.get("dataset")] if several else []) + [c["claim"], c["evidence"], _agreement(c), f"**{c['verdict']}**"]
            for c in claims
        ),
    )
    used = ""
    if thresholds:
        used = " (" + ", ".join(f"{key} = {value}" for key, value in thresholds.items()) + ")"
    lines += [
        "",
        f"Verdicts are computed only from the numbers above, against the configured thresholds{used}, "
        "by tests written down before they were applied (docs/metrics.md). The tracking claims: does the "
        "estimate rank each group's seeds by FID at matched snapshot iterations (a permutation test that "
        "swaps whole estimate curves among seeds; runs whose FID did not move left out). The others compare "
        "one quantity per seed with its threshold; 'agreeing' counts the seeds for which the claim holds on "
        "their own, and the verdict is 'reproduced' or 'not reproduced' only when the order-statistic "
        "interval over seeds for the quantity's median lies on one side of the threshold ('inconclusive: "
        "seeds disagree' otherwise; 'inconclusive: one seed' with one). Its level is exact and set by the "
        "number of seeds: [min, max] covers the median with 50 % over 2 seeds, 75 % over 3, 87.5 % over 4, "
        "93.8 % over 5, 96.9 % over 6; a verdict whose level falls short of `confidence` states it. "
        "'At least as many' is non-inferiority: 'reproduced: non-inferior' when WGAN's deficit is shown "
        "to be under the stated margin, so a tie is not read as more. A diverged run counts as failed, two "
        "failed runs as equally bad. 'inconclusive' alone means the runs a claim needs are missing from "
        "the grid. A verdict on runs that a longer budget could change (still improving or not started; "
        "for the speed claims a run past its crossing of good_fid is final) names its budget when it is the "
        "same at every checkpoint of the last doubling and along each seed's trend one doubling on "
        "('within 2,500 to 5,000 generator iterations (stable; runs still improving)'), and says "
        "'changes with the budget' when it is not (Verdicts by budget, below). A verdict against the claim "
        "that a single budget judges on such runs is inconclusive (named): runs still improving or not "
        "started, except for the speed claims a run past its "
        "crossing of good_fid.",
        "",
        *after_claims,
    ]
    write_text(path, "\n".join(lines))
