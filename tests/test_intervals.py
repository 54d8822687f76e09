"""The order-statistic interval for a median over seeds: its exact level, and its coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from wganlib.verdicts import intervals


def test_the_interval_has_the_level_it_states():
    """Exact levels by enumeration, and coverage of the true median by simulation for 3 and 5 seeds
    on a skewed distribution (the interval is distribution-free): within Monte-Carlo error."""
    assert [intervals.coverage(n, 1) for n in (2, 3, 4, 5, 6)] == [0.5, 0.75, 0.875, 0.9375, 1 - 2 / 64]
    assert intervals.coverage(10, 2) == pytest.approx(1 - 2 * 11 / 1024)
    assert (intervals.seeds_needed(0.9), intervals.seeds_needed(0.95)) == (5, 6)
    rng = np.random.default_rng(0)
    true_median = math.log(2)  # of the exponential distribution
    trials = 20000
    for n, level in ((3, 0.75), (5, 0.9375)):
        hits = 0
        for values in rng.exponential(1.0, (trials, n)):
            interval = intervals.median_interval(values, 0.95)
            hits += interval.low <= true_median <= interval.high
            assert interval.level == level
        assert abs(hits / trials - level) < 4 * math.sqrt(level * (1 - level) / trials), (n, hits / trials)
    two = intervals.median_interval([5.0, 5.0], 0.95)
    assert (two.low, two.high, two.level) == (5.0, 5.0, 0.5)
    eleven = intervals.median_interval(range(11), 0.95)  # the narrowest that reaches 95 %: k = 2
    assert (eleven.low, eleven.high, eleven.k) == (1, 9, 2) and eleven.level >= 0.95
