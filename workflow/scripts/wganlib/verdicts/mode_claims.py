"""The mode-collapse claims on measures that can see collapse: Stacked MNIST's 1,000 modes
(``modes.stacked_modes``) and recall (``manifold.prdc``), beside the 10-class count of claim 4
(``claims``), which cannot tell a generator of ten kinds of digit from one of ten digits drawn well.

Which count of modes: the confident count (``modes.confident_modes``: modes hit by samples whose
three channels the judge reads as confidently as 95 % of real digits), where every run of the
claim has it. The count of every sample's most likely digits (PacGAN's) fills modes with illegible
samples: 26,000 strokes spread over the digits hit nearly all 1,000, so it cannot tell a generator
of legible triples from one of noise. Runs evaluated before the confident count existed are judged
on PacGAN's count, and the evidence says so. When every run rests on fewer legibly read samples
than a generator of all 1,000 modes would need to come within ``mode_margin`` of them
(``modes.legible_samples_needed``: 2,996 at a margin of 50), the confident count measures how
many samples are legible, not how many modes are covered: such a claim is "inconclusive: under N
legible samples in every run", as recall is below ``min_recall``.

Each claim pairs WGAN with the standard GAN (``dcgan``) per seed on one architecture and one
measure, and judges the difference WGAN minus GAN like every claim (``verdicts.judge``: seed
agreement, the order-statistic interval over seeds for its median):

- "at least as many" (conv, and ``conv-small-critic``, a critic a quarter of the generator's
  width, where Metz et al. and PacGAN (Table 3) saw the GAN collapse on Stacked MNIST) is
  non-inferiority with a stated margin (``mode_margin`` modes, ``recall_margin`` of recall): it
  holds at a difference above minus the margin, and the verdict says "non-inferior", so a tie
  reads as what it is, not as "at least as many";
- Figure 7's "the GAN collapses and WGAN does not" (mlp): WGAN's must be higher, > 0, so a tie
  does not hold.

Recall compares diversity only where samples reach the real data: when every run of a recall
claim has recall under ``min_recall`` (a threshold, optional, 0 by default), the verdict is
"inconclusive: recall under min_recall in every run", whatever the differences between such
near-zero numbers say. A diverged run counts as failed: 0 modes, recall 0. A claim enters the
table only when one of its runs has its measure: a grid without Stacked MNIST, or runs evaluated before recall was measured,
leave it out, so their summaries are what they were. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wganlib.measures.modes import legible_samples_needed
from wganlib.plan.objectives import GAN, WGAN  # the paper's models, which its claims pair

from .runs import as_float, diverged
from .verdicts import INCONCLUSIVE, Comparison, group, paired, pick

MARGINS = {
    "stacked_modes": ("mode_margin", 50, "modes"),
    "stacked_confident_modes": ("mode_margin", 50, "modes"),
    "recall": ("recall_margin", 0.05, "of recall"),
}

MEASURES = {
    "stacked_modes": "Stacked MNIST modes hit by any sample (of 1,000)",
    "stacked_confident_modes": "Stacked MNIST modes hit by confidently read samples (of 1,000)",
    "recall": "recall (k = 3)",
}
# A claim on the modes judges the confident count where every run of it has one (module docstring).
CONFIDENT = {"stacked_modes": ("stacked_confident_modes", "stacked_confident_samples")}
CONFIDENT_SAMPLES = dict(CONFIDENT.values())


@dataclass(frozen=True)
class ModeClaim:
    claim: str
    architecture: str
    measure: str  # a key of MEASURES
    strictly_more: bool  # WGAN's measure must exceed the GAN's (else: at least match it)


MODE_CLAIMS = (
    ModeClaim(
        "WGAN covers at least as many of the 1,000 Stacked MNIST modes as the standard GAN (conv)",
        "conv",
        "stacked_modes",
        False,
    ),
    ModeClaim(
        "WGAN covers at least as many of the 1,000 Stacked MNIST modes as the standard GAN "
        "(conv-small-critic: a critic a quarter of the generator's width)",
        "conv-small-critic",
        "stacked_modes",
        False,
    ),
    ModeClaim("WGAN's recall is at least the standard GAN's (conv)", "conv", "recall", False),
    ModeClaim("WGAN's recall is at least the standard GAN's (conv-small-critic)", "conv-small-critic", "recall", False),
    ModeClaim(
        "With an MLP generator the standard GAN collapses and WGAN does not (Fig. 7), on the 1,000 "
        "Stacked MNIST modes: WGAN covers more",
        "mlp",
        "stacked_modes",
        True,
    ),
    ModeClaim(
        "With an MLP generator the standard GAN collapses and WGAN does not (Fig. 7), on recall: WGAN's is higher",
        "mlp",
        "recall",
        True,
    ),
)


def judged_measure(runs: Sequence[Mapping], measure: str) -> tuple[str, str]:
    """The key a claim on ``measure`` judges its runs on, and what the evidence adds about it: the
    confident count where every run that did not diverge has one (with the samples it rests on),
    else ``measure``."""
    confident, samples = CONFIDENT.get(measure, (None, None))
    finished = [r for r in runs if not diverged(r)]
    if confident is None:
        return measure, ""
    if finished and all(not math.isnan(as_float(r.get(confident))) for r in finished):
        rest = "; ".join(group(m, [r for r in runs if r.get("model") == m], samples, 0.0) for m in (GAN, WGAN))
        return confident, f"; over the samples read confidently: {rest}"
    return measure, "; every sample's most likely digits, legible or not: runs evaluated before the confident count"


def compare(rows: Sequence[Mapping], c: ModeClaim, thresholds: Mapping | None = None) -> Comparison | None:
    """WGAN's measure minus the GAN's, per seed; None when no run of the claim has the measure."""
    wgan, dcgan = pick(rows, WGAN, c.architecture), pick(rows, GAN, c.architecture)
    if all(math.isnan(as_float(r.get(c.measure))) for r in wgan + dcgan):
        return None
    measure, about = judged_measure(wgan + dcgan, c.measure)
    per_seed = {
        seed: difference
        for seed, difference in paired(wgan, dcgan, lambda w, d: w - d, measure, 0.0).items()
        if not math.isnan(difference)
    }
    if not per_seed:
        return Comparison(
            "",
            missing=f"runs with {measure}: wgan {c.architecture} {len(wgan)}, dcgan {c.architecture} "
            f"{len(dcgan)} (need both, same seed)",
        )
    key, default, unit = MARGINS[measure]
    delta = 0.0 if c.strictly_more else float((thresholds or {}).get(key, default))
    evidence = (
        f"{MEASURES[measure]}: {group(GAN, dcgan, measure, 0.0)}; {group(WGAN, wgan, measure, 0.0)} "
        f"(diverged = 0{about}); difference wgan - dcgan > {-delta if delta else 0:g} holds"
        + ("" if c.strictly_more else f" (non-inferiority, margin {key} = {delta:g})")
    )
    holds = lambda v: v > -delta  # noqa: E731
    floor = float((thresholds or {}).get("min_recall", 0.0)) if c.measure == "recall" else 0.0
    values = [0.0 if diverged(r) else as_float(r.get(c.measure)) for r in wgan + dcgan]
    refine = None
    if floor > 0 and all(v < floor for v in values if not math.isnan(v)):  # near-zero recalls differ by noise
        evidence += f"; every run's recall is under min_recall = {floor}: its samples reach almost no real data"
        refine = lambda verdict, level: f"{INCONCLUSIVE}: recall under {floor} in every run"  # noqa: E731
    if measure in CONFIDENT_SAMPLES:  # too few legible samples: the count says how many, not how diverse
        needed = legible_samples_needed(1000, float((thresholds or {}).get("mode_margin", MARGINS[measure][1])))
        legible = [as_float(r.get(CONFIDENT_SAMPLES[measure])) for r in wgan + dcgan if not diverged(r)]
        if all(n < needed for n in legible):
            evidence += (
                f"; every run rests on fewer than {needed:,} confidently read samples, fewer than a generator "
                "of all 1,000 modes needs to come within mode_margin of them"
            )
            refine = lambda verdict, level: f"{INCONCLUSIVE}: under {needed:,} legible samples in every run"  # noqa: E731
    within = None if c.strictly_more else f"WGAN at most {delta:g} {unit} behind"
    return Comparison(evidence, per_seed, holds, "difference", wgan + dcgan, refine=refine, within=within)
