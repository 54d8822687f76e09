"""The summary's mode-collapse numbers, shown only where runs have them (so summaries of runs
evaluated before they existed are unchanged): precision, recall, density and coverage
(``manifold``) and Stacked MNIST's modes (``modes``) as columns of the runs table and beside the
real-data floor, and our Stacked MNIST mode counts beside the published ones, each with the
protocol it was measured under. Where Stacked MNIST's modes are shown, so is the confident count
(``modes.confident_modes``), 'n/a' for a run evaluated before it existed. No TensorFlow."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from wganlib.common.tables import fmt, md_table
from wganlib.verdicts.runs import as_float, diverged

# Published Stacked MNIST numbers: (source and protocol, model, modes of 1,000, KL from uniform).
# PacGAN: Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks";
# GDPP: Elfeki et al. 2019, "GDPP: Learning Diverse Generations using Determinantal Point Processes".
PUBLISHED_STACKED_MNIST = (
    ("PacGAN Table 2, VEEGAN's numbers (protocol A)", "DCGAN", "99", "3.40"),
    ("PacGAN Table 2, its own runs (protocol A)", "DCGAN", "78.9 ± 6.5", "4.50"),
    ("PacGAN Table 2 (protocol A)", "PacDCGAN2 (packed discriminator)", "1,000", "–"),
    ("PacGAN Table 3, discriminator 1/4 of the generator (protocol B)", "DCGAN", "30.6", "–"),
    ("PacGAN Table 3, discriminator 1/2 of the generator (protocol B)", "DCGAN", "628", "–"),
    ("GDPP, a non-uniform Stacked MNIST (protocol C)", "WGAN", "961", "not comparable"),
    ("GDPP, a non-uniform Stacked MNIST (protocol C)", "WGAN-GP", "995", "not comparable"),
)
PROTOCOLS = (
    "Protocol A (VEEGAN's, as PacGAN's code runs it): 128,000 training images stacked from MNIST's "
    "70,000 digits, DCGAN networks at 28x28, 26,000 samples, each channel labelled by a pretrained "
    "MNIST classifier (Keras' mnist_cnn example), a mode covered when one sample falls in it, KL of "
    "the modes' histogram from uniform; PacGAN's own runs give mean ± s.d. over 10. Protocol B (Metz et al.'s Unrolled "
    "GAN setting): training images drawn on the fly from MNIST's training digits, a small DCGAN whose "
    "discriminator has a quarter (2, 4, 8 filters) or half of the generator's filters, 25,600 samples. "
    "Protocol C: GDPP's Stacked MNIST does not draw its modes equally often, so its KL is not from "
    "uniform and its counts are a different task."
)

CONFIDENT_NOTE = (
    "Confident modes: the modes hit by the samples whose three channels the judge reads at least as "
    "confidently as 95 % of the real test digits (its confidence threshold, classifier.json), with in "
    "brackets how many samples that is; the count above takes every sample's most likely digits, "
    "legible or not, so illegible samples fill modes too; n/a for runs evaluated before it existed "
    "(docs/mode-collapse.md)."
)


def _has(rows: Sequence[Mapping], key: str) -> bool:
    return any(not math.isnan(as_float(r.get(key))) for r in rows)


def run_columns(rows: Sequence[Mapping]) -> list[tuple[str, Callable[[Mapping], str]]]:
    """(header, cell of a row) for the runs table: those of the measures some row has."""
    columns = []
    if _has(rows, "precision"):
        columns.append(("precision / recall", lambda r: f"{fmt(r.get('precision'))} / {fmt(r.get('recall'))}"))
        columns.append(("density / coverage", lambda r: f"{fmt(r.get('density'))} / {fmt(r.get('coverage'))}"))
    if _has(rows, "stacked_modes"):
        columns.append(("modes of 1,000 (KL)", lambda r: f"{fmt(r.get('stacked_modes'))} ({fmt(r.get('stacked_kl'))})"))
        columns.append(("confident modes (samples)", confident_cell))
    return columns


def confident_cell(row: Mapping) -> str:
    """The confident count and the samples it rests on, 'n/a' without it."""
    if math.isnan(as_float(row.get("stacked_confident_modes"))):
        return "n/a"
    return f"{fmt(row.get('stacked_confident_modes'))} ({fmt(row.get('stacked_confident_samples'))})"


def ten_class_modes(row: Mapping) -> str:
    """The classes receiving min_share of the samples, 'n/a' on Stacked MNIST: its judge has
    1,000 classes, none of which gets the 5 % share meant for ten digits, not even in real data."""
    return "n/a" if not math.isnan(as_float(row.get("stacked_modes"))) else fmt(row.get("modes_covered"))


def _counts(rows: Sequence[Mapping], key: str) -> str:
    values = sorted({int(v) for v in (as_float(r.get(key)) for r in rows) if not math.isnan(v)})
    return " to ".join(f"{v:,}" for v in (values[0], values[-1])) if len(values) > 1 else f"{values[0]:,}"


def run_notes(rows: Sequence[Mapping]) -> list[str]:
    """What the extra columns mean, with the sample counts they were measured on."""
    notes = []
    if _has(rows, "precision"):
        notes.append(
            "Precision / recall (Kynkaanniemi et al. 2019, k = 3) and density / coverage (Naeem et al. "
            "2020, k = 5) on the features of FID and KID (Features, below): precision and density say "
            "how much of the generated samples lie where real ones do (fidelity), recall and coverage how "
            "much of the real data the generated samples reach (diversity: a collapsed generator has high "
            f"precision and low recall); {_counts(rows, 'prdc_samples')} generated against as many test images."
        )
    if _has(rows, "stacked_modes"):
        notes.append(
            "Modes of 1,000: the Stacked MNIST modes (three digits, one per channel, each read by the "
            "per-channel digit classifier) that at least one sample falls in, and in brackets the KL "
            f"divergence of the modes' histogram from uniform (0 is perfect, log 1000 = 6.91 one mode), over "
            f"{_counts(rows, 'stacked_samples')} samples; modes (of ten classes) n/a there. "
            f"{CONFIDENT_NOTE}"
        )
    return [" ".join(notes), ""] if notes else []


def floor_text(floor: Mapping) -> str:
    """The measures the real-data floor has, as a clause of its sentence ('' without them)."""
    text = ""
    if not math.isnan(as_float(floor.get("precision"))):
        text += (
            f", precision {fmt(floor.get('precision'))}, recall {fmt(floor.get('recall'))}, "
            f"density {fmt(floor.get('density'))}, coverage {fmt(floor.get('coverage'))}"
        )
    if not math.isnan(as_float(floor.get("stacked_modes"))):
        text += (
            f", Stacked MNIST modes {fmt(floor.get('stacked_modes'))} of 1,000 (KL {fmt(floor.get('stacked_kl'))}) over "
            f"{fmt(floor.get('stacked_samples'))} images, by a digit classifier of accuracy "
            f"{fmt(floor.get('digit_accuracy'))} on the test digits; confident modes {confident_cell(floor)}"
        )
    return text


def _ours(rows: Sequence[Mapping], key: str, if_diverged: float) -> str:
    """Median (range) over seeds, a diverged run counting as ``if_diverged`` (NaN: left out)."""
    values = [if_diverged if diverged(r) else as_float(r.get(key)) for r in rows]
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    spread = f" ({fmt(min(values))}–{fmt(max(values))})" if max(values) > min(values) else ""
    return f"{fmt(float(np.median(values)))}{spread}"


def _confident_ours(rows: Sequence[Mapping]) -> str:
    """The confident count over seeds (median and range, a diverged run 0) and the samples it rests
    on (likewise); 'n/a' where a run that did not diverge has none."""
    if any(math.isnan(as_float(r.get("stacked_confident_modes"))) and not diverged(r) for r in rows):
        return "n/a"
    return f"{_ours(rows, 'stacked_confident_modes', 0.0)} over {_ours(rows, 'stacked_confident_samples', 0.0)} samples"


def stacked_literature_lines(rows: Sequence[Mapping], floors: Mapping) -> list[str]:
    """Per dataset whose runs have Stacked MNIST modes: ours (per model and architecture, median
    and range over seeds) and the real data's beside the published numbers, and the protocols."""
    lines = []
    for dataset in dict.fromkeys(r.get("dataset") for r in rows):
        subset = [r for r in rows if r.get("dataset") == dataset and not math.isnan(as_float(r.get("stacked_modes")))]
        if not subset:
            continue
        groups: dict = {}
        for r in subset:
            groups.setdefault((r.get("model"), r.get("architecture")), []).append(r)
        body = [
            [
                f"here: {model} {arch} ({len(g)} seed{'s' if len(g) != 1 else ''})",
                _ours(g, "stacked_modes", 0.0),
                _ours(g, "stacked_kl", math.nan),
                _confident_ours(g),
            ]
            for (model, arch), g in groups.items()
        ]
        floor = floors.get(dataset) or {}
        if not math.isnan(as_float(floor.get("stacked_modes"))):
            body.append(
                [
                    "here: real training images (the floor)",
                    fmt(floor["stacked_modes"]),
                    fmt(floor.get("stacked_kl")),
                    _confident_ours([floor]),
                ]
            )
        body += [[f"{source}: {model}", modes, kl, "–"] for source, model, modes, kl in PUBLISHED_STACKED_MNIST]
        lines += [f"## Stacked MNIST modes against the literature ({dataset})", ""]
        lines += md_table(["who: model", "modes of 1,000", "KL from uniform", "confident modes over samples"], body)
        lines += [
            "",
            f"Here: training images stacked from MNIST's training digits and evaluation images from its test "
            f"digits, modes over each run's {_counts(subset, 'stacked_samples')} final samples (fewer samples "
            "hit fewer modes by chance alone), each channel labelled by a digit classifier trained here on the "
            "training images' channel digits (its accuracy bounds what can be counted: the floor), median "
            f"(range) over seeds, a diverged run counting as 0 modes (its KL left out). {CONFIDENT_NOTE} "
            f"{PROTOCOLS}",
            "",
        ]
    return lines
