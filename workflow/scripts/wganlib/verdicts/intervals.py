"""The distribution-free interval for a median over seeds, and the level it actually has.

With n seeds, the interval [x_(k), x_(n-k+1)] between the k-th smallest and the k-th largest value
covers the true median with probability 1 - 2 P(Binom(n, 1/2) <= k - 1), whatever the distribution
(each value falls below the median with probability one half). That level comes in steps fixed by
n: [min, max] has 50 % with 2 seeds, 75 % with 3, 87.5 % with 4, 93.75 % with 5 and 96.9 % with 6,
so 90 % needs 5 seeds and 95 % needs 6. A percentile bootstrap of the median over 3 seeds returns
[min, max] too, but calls it 95 %. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def coverage(n: int, k: int) -> float:
    """The exact level of [x_(k), x_(n-k+1)] for the median of n values (0 when k > n / 2 leaves
    no interval that must hold the median)."""
    if n < 1 or k < 1 or 2 * k > n + 1:
        return 0.0
    below = sum(math.comb(n, i) for i in range(k)) / 2**n  # P(Binom(n, 1/2) <= k - 1)
    return max(0.0, 1.0 - 2.0 * below)


def seeds_needed(level: float) -> int:
    """The fewest seeds whose widest interval, [min, max], reaches ``level``."""
    n = 1
    while coverage(n, 1) < level:
        n += 1
    return n


@dataclass(frozen=True)
class MedianInterval:
    low: float
    high: float
    level: float  # its exact coverage, which may fall short of the level asked for
    k: int  # [k-th smallest, k-th largest]


def median_interval(values: Sequence[float], level: float) -> MedianInterval:
    """The narrowest order-statistic interval for the median whose exact level reaches ``level``;
    with too few values for that, the widest one, [min, max], at the lower level it has. Infinite
    values (a diverged run's FID ratio) are ordered as such."""
    data = sorted(float(v) for v in values)
    n = len(data)
    if n == 0:
        return MedianInterval(math.nan, math.nan, 0.0, 0)
    k = 1
    while coverage(n, k + 1) >= level:
        k += 1
    return MedianInterval(data[k - 1], data[n - k], coverage(n, k), k)


def percent(level: float) -> str:
    """75 %, 93.8 %, 96.9 %: three digits tell the steps of small n apart."""
    return f"{100 * level:.3g} %"


# ---------------------------------------------------------------- paired success rates


def _constrained_only_gan(only_wgan: int, only_gan: int, n: int, delta: float) -> float:
    """The maximum-likelihood chance of "only the GAN" given the difference ``delta`` of success
    rates (WGAN's minus the GAN's): the root in range of the score equation's quadratic."""
    neither = n - only_wgan - only_gan
    # b/(q + d) + c/q - 2 r/(1 - 2q - d) = 0, times q (q + d) (1 - 2q - d): coefficients of 1, q, q^2
    poly = (
        only_wgan * np.array([0.0, 1 - delta, -2.0])
        + only_gan * np.array([delta * (1 - delta), 1 - 3 * delta, -2.0])
        - 2 * neither * np.array([0.0, delta, 1.0])
    )
    low, high = max(0.0, -delta), (1 - delta) / 2
    roots = [r.real for r in np.roots(poly[::-1]) if abs(r.imag) < 1e-12] if np.any(poly) else []
    inside = [r for r in roots if low - 1e-12 <= r <= high + 1e-12]
    return min(max(inside[0], low), high) if inside else (low + high) / 2


def _score(only_wgan: int, only_gan: int, n: int, delta: float) -> float:
    """Tango's score statistic for a difference ``delta`` of paired success rates."""
    q = _constrained_only_gan(only_wgan, only_gan, n, delta)
    variance = max((2 * q + delta - delta**2) / n, 1e-15)
    return ((only_wgan - only_gan) / n - delta) / math.sqrt(variance)


def paired_difference_interval(only_wgan: int, only_gan: int, n: int, level: float) -> tuple[float, float]:
    """Tango's (1998) score interval for the difference of two success rates measured on the same
    ``n`` items (WGAN's minus the GAN's, from the discordant counts): two-sided at ``level``. It
    widens with the concordant items' uncertainty too, so 0 discordant of 1 is [-0.73, 0.73] at
    90 %, not [0, 0]."""
    if n < 1:
        return (-1.0, 1.0)
    z = NormalDist().inv_cdf((1 + level) / 2)
    estimate = (only_wgan - only_gan) / n

    def bound(outside: float) -> float:  # bisection between the estimate and the edge
        inside = estimate
        for _ in range(100):
            middle = (inside + outside) / 2
            if abs(_score(only_wgan, only_gan, n, middle)) > z:
                outside = middle
            else:
                inside = middle
        return inside

    return bound(-1.0 + 1e-9), bound(1.0 - 1e-9)


def non_inferiority_power(n: int, margin: float, discordant: float, level: float) -> float:
    """The chance that the lower end of the ``level`` interval clears ``-margin`` over ``n``
    items when the two rates are truly equal and a fraction ``discordant`` of items split (normal
    approximation: the difference's variance is discordant / n)."""
    if n < 1 or discordant <= 0:
        return 1.0 if n >= 1 else 0.0
    z = NormalDist().inv_cdf((1 + level) / 2)
    return NormalDist().cdf(margin * math.sqrt(n / discordant) - z)


def items_needed(margin: float, discordant: float, level: float, power: float = 0.8) -> int:
    """How many items (architectures) a non-inferiority test at ``margin`` needs for ``power`` when
    the rates are equal and a fraction ``discordant`` of items split: (z_a + z_b)^2 discordant /
    margin^2, the one-sided z_a of a two-sided ``level`` interval (52 at margin 0.2 with a third
    discordant, 90 % interval and 80 % power)."""
    z = NormalDist().inv_cdf((1 + level) / 2) + NormalDist().inv_cdf(power)
    return math.ceil(z**2 * discordant / margin**2)
