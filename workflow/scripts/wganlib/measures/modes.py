"""Stacked MNIST's mode metric (numpy only): each channel of an image read as a digit, the three
digits one of 1,000 modes, 100 d1 + 10 d2 + d3 (d1 the red channel, as ``datasets.stacked`` labels).

The protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018, Table 2), as PacGAN's
code (fjxmlzn/PacGAN, stacked_MNIST_experiments) computes it: a pretrained MNIST classifier labels
each generated channel by its most likely digit; a mode counts as covered when at least one sample
falls in it (``modes_hit``: no minimum share, unlike ``metrics.modes_covered``), and the KL
divergence of the modes' histogram from the uniform distribution over the 1,000 is reported
(``kl_from_uniform``: log 1000 = 6.91 when every sample falls in one mode, 0 when all are equally
often hit). Both depend on the number of samples (26,000 in PacGAN's Table 2, 25,600 in Table 3):
fewer samples hit fewer modes by chance alone.

That count takes every sample's most likely digits, legible or not: illegible strokes spread over
the digits fill nearly every one of the 1,000 modes when there are 26,000 of them. The confident
count (``confident_modes``) counts only samples whose three channels the judge reads at least as
confidently as it reads most real digits: a threshold set when the judge is trained, the
probability that keeps ``CONFIDENT_SHARE`` of the real test digits (``confidence_threshold``);
it is reported with the number of samples it rests on.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

DIGITS = 10
CONFIDENT_SHARE = 0.95  # of the real test digits, whose reading the confidence threshold keeps


def channel_digits(labels: ArrayLike, channels: int = 3) -> NDArray[np.int64]:
    """The digit of each channel (N, channels) of stacked labels (N,): 345 -> (3, 4, 5)."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= DIGITS**channels):
        raise ValueError(f"stacked labels must lie in [0, {DIGITS**channels})")
    powers = DIGITS ** np.arange(channels - 1, -1, -1)
    return labels[:, None] // powers % DIGITS


def stacked_label(digits: ArrayLike) -> NDArray[np.int64]:
    """The stacked label (N,) of per-channel digits (N, channels): (3, 4, 5) -> 345."""
    digits = np.asarray(digits, dtype=np.int64)
    return digits @ (DIGITS ** np.arange(digits.shape[1] - 1, -1, -1))


def channel_images(images: ArrayLike, labels: ArrayLike) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """The distinct single-channel images of stacked images (N, H, W, C) with their digits, in order
    of first appearance: the MNIST digits the stacked images were drawn from, each once. What the
    per-channel digit classifier is trained and tested on (each stacked image repeats digits drawn
    with replacement, so 128,000 images hold about 60,000 distinct training digits three times over)."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"stacked images must be (N, H, W, channels), got shape {images.shape}")
    channels = images.shape[-1]
    flat = np.moveaxis(images, -1, 1).reshape(-1, *images.shape[1:3])  # image 0's channels, then image 1's ...
    digits = channel_digits(labels, channels).reshape(-1)
    rows = np.ascontiguousarray(flat).reshape(len(flat), -1)
    _, first = np.unique(rows.view(np.dtype((np.void, rows.shape[1]))).ravel(), return_index=True)  # bytewise
    first = np.sort(first)
    return flat[first], digits[first]


def modes_hit(labels: ArrayLike, n_modes: int) -> int:
    """Modes (of ``n_modes``) that at least one sample falls in."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_modes):
        raise ValueError(f"labels outside [0, {n_modes})")
    return int(np.unique(labels).size)


def kl_from_uniform(labels: ArrayLike, n_modes: int) -> float:
    """KL(p || uniform over n_modes) = sum_m p_m log(n_modes p_m) of the samples' histogram p, in
    nats; empty modes add nothing (0 log 0 = 0), so no smoothing is needed."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size == 0:
        raise ValueError("no samples")
    if labels.min() < 0 or labels.max() >= n_modes:
        raise ValueError(f"labels outside [0, {n_modes})")
    p = np.bincount(labels, minlength=n_modes) / labels.size
    p = p[p > 0]
    return float(max(np.sum(p * np.log(n_modes * p)), 0.0))


def stacked_modes(probs: ArrayLike) -> dict[str, float | int]:
    """The mode metric of samples from their joint mode probabilities (N, n_modes), the product of
    the channels' digit probabilities (``evaluation``'s per-channel judge): each sample's mode is
    the most likely one, which is the most likely digit of each channel. Keys stacked_modes (modes
    hit), stacked_kl (from uniform) and stacked_samples (N)."""
    probs = np.asarray(probs)
    if probs.ndim != 2:
        raise ValueError(f"expected probabilities (N, modes), got shape {probs.shape}")
    labels = np.argmax(probs, axis=1)
    n_modes = probs.shape[1]
    return {
        "stacked_modes": modes_hit(labels, n_modes),
        "stacked_kl": kl_from_uniform(labels, n_modes),
        "stacked_samples": int(len(labels)),
    }


def channel_probabilities(probs: ArrayLike, channels: int = 3) -> NDArray[np.float64]:
    """Each channel's digit probabilities (N, channels, 10) from the joint ones (N, 10**channels),
    ordered as ``stacked_label``: the marginals, which for the per-channel judge's products of
    the channels' probabilities are those probabilities themselves."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] != DIGITS**channels:
        raise ValueError(f"expected joint probabilities (N, {DIGITS**channels}), got shape {probs.shape}")
    cube = probs.reshape(len(probs), *(DIGITS,) * channels)
    axes = range(1, channels + 1)
    return np.stack([cube.sum(axis=tuple(a for a in axes if a != c)) for c in axes], axis=1)


def confidence_threshold(digit_probs: ArrayLike, keep: float = CONFIDENT_SHARE) -> float:
    """The probability that keeps ``keep`` of real digits: at least that share of ``digit_probs``
    (N, 10), the judge's probabilities for real single-channel digits, have their most likely
    digit at or above it."""
    top = np.sort(np.max(np.asarray(digit_probs, dtype=np.float64), axis=1))
    if top.size == 0:
        raise ValueError("no digits to set the threshold from")
    return float(top[int(np.floor((1.0 - keep) * top.size))])


def confident_modes(probs: ArrayLike, threshold: float) -> dict[str, int]:
    """The modes hit by the samples whose every channel's most likely digit has a probability of
    at least ``threshold`` (``confidence_threshold``), from their joint probabilities (N, 1,000):
    stacked_confident_modes, and stacked_confident_samples, how many samples that count rests on."""
    probs = np.asarray(probs, dtype=np.float64)
    confident = np.all(channel_probabilities(probs).max(axis=2) >= threshold, axis=1)
    labels = np.argmax(probs[confident], axis=1)
    return {
        "stacked_confident_modes": modes_hit(labels, probs.shape[1]),
        "stacked_confident_samples": int(confident.sum()),
    }


def legible_samples_needed(n_modes: int, margin: float) -> int:
    """How many samples a generator that draws every one of ``n_modes`` equally often needs for
    its expected misses, n_modes exp(-n / n_modes), to stay within ``margin`` modes: with fewer
    legibly read samples, a confident count falls more than the margin short by chance alone, and
    compares how many samples are legible rather than how many modes are covered (2,996 for
    1,000 modes and a margin of 50)."""
    if not 0 < margin < n_modes:
        raise ValueError(f"margin must lie in (0, {n_modes})")
    return math.ceil(n_modes * math.log(n_modes / margin))
