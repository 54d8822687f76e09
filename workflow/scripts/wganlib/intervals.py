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
