"""Precision, recall, density and coverage (wganlib.measures.manifold) on point sets made by hand, and
against clovaai's prdc package, the reference implementation of Naeem et al. 2020."""

from __future__ import annotations

import numpy as np
import pytest
from wganlib.measures import manifold


def clusters(n: int, rng: np.random.Generator, centres: np.ndarray, spread: float = 0.3) -> np.ndarray:
    """``n`` points spread evenly over the clusters around ``centres``."""
    return centres[np.arange(n) % len(centres)] + spread * rng.normal(size=(n, centres.shape[1]))


ANGLES = 2 * np.pi * np.arange(10) / 10
CENTRES = 10.0 * np.stack([np.cos(ANGLES), np.sin(ANGLES)], axis=1)  # ten well-separated modes on a ring


def test_a_collapsed_generator_has_high_precision_and_low_recall_and_coverage():
    """One mode of ten, drawn well: its samples lie on the real manifold (precision, density) but
    cover a tenth of it (recall, coverage). Pins the direction: swapped arguments would give the
    opposite (low precision, high recall)."""
    rng = np.random.default_rng(0)
    real = clusters(1000, rng, CENTRES)
    collapsed = clusters(1000, rng, CENTRES[:1])
    result = manifold.prdc(real, collapsed)
    assert result["precision"] > 0.9 and result["density"] > 0.7
    assert result["recall"] < 0.15 and result["coverage"] < 0.15
    swapped = manifold.prdc(collapsed, real)
    assert swapped["precision"] < 0.15 and swapped["recall"] > 0.9


def test_a_perfect_generator_scores_near_one():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2))
    result = manifold.prdc(real, fake)
    assert result["precision"] > 0.85 and result["recall"] > 0.85
    assert result["coverage"] > 0.9 and result["density"] == pytest.approx(1.0, abs=0.15)
    assert result["prdc_samples"] == 2000


def test_the_real_set_itself_is_inside_every_ball():
    real = np.random.default_rng(2).normal(size=(300, 8))
    result = manifold.prdc(real, real.copy())
    assert result["precision"] == result["recall"] == result["coverage"] == 1.0
    assert result["density"] >= 1.0  # each copy lies in its own ball and in its neighbours'


def test_duplicate_features_count_as_inside_the_balls():
    """Every real feature six times (so every k = 3 and k = 5 radius is 0) and a generated copy of
    each: inclusive at the radius, all of them are inside (strictly, none would be), and each copy
    is in the six balls of its duplicates: density 6 / 5. Large norms make the round-off of
    ||a||^2 + ||b||^2 - 2 a.b nonzero; it still counts as distance 0."""
    rng = np.random.default_rng(3)
    distinct = 1e3 + 50 * rng.normal(size=(40, 16))
    real, fake = np.repeat(distinct, 6, axis=0), np.repeat(distinct, 6, axis=0)[rng.permutation(240)]
    assert np.all(manifold.nearest_neighbour_radii(real, (3, 5)) == 0.0)
    result = manifold.prdc(real, fake)
    assert result == {"precision": 1.0, "recall": 1.0, "density": 1.2, "coverage": 1.0, "prdc_samples": 240}
    elsewhere = manifold.prdc(real, fake + 1.0)  # no longer on the points: outside radius-0 balls
    assert elsewhere["precision"] == elsewhere["recall"] == elsewhere["coverage"] == 0.0


def test_nearest_neighbour_radii_on_a_line():
    x = np.array([[0.0], [1.0], [3.0], [6.0]])
    radii = manifold.nearest_neighbour_radii(x, (1, 2))
    np.testing.assert_array_equal(radii, [[1, 9], [1, 4], [4, 9], [9, 25]])  # squared distances
    with pytest.raises(ValueError, match="4-th nearest neighbour needs more than 4 samples"):
        manifold.nearest_neighbour_radii(x, (4,))


def test_chunked_distances_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(500, 6)), rng.normal(size=(500, 6)) + 0.5
    whole = manifold.prdc(real, fake)
    monkeypatch.setattr(manifold, "CHUNK_ELEMENTS", 700)  # one or two rows at a time
    assert manifold.prdc(real, fake) == whole


def test_both_sets_are_cut_to_the_smaller_size():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(900, 3)), rng.normal(size=(400, 3))
    cut_real, cut_fake = manifold.equal_sizes(real, fake, seed=0)
    assert len(cut_real) == len(cut_fake) == 400
    np.testing.assert_array_equal(cut_fake, fake)
    np.testing.assert_array_equal(cut_real, manifold.equal_sizes(real, fake, seed=0)[0])  # a fixed subset
    assert {tuple(r) for r in cut_real} <= {tuple(r) for r in real}
    _, fewer = manifold.equal_sizes(real[:100], fake)
    np.testing.assert_array_equal(fewer, fake[:100])  # generated samples in their order
    assert manifold.prdc(real, fake)["prdc_samples"] == 400


def test_refuses_bad_features():
    with pytest.raises(ValueError, match="finite 2-D"):
        manifold.prdc(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="feature dims differ"):
        manifold.prdc(np.random.default_rng(0).normal(size=(20, 3)), np.zeros((20, 4)))


def test_agrees_with_the_prdc_package():
    """clovaai's prdc (one k for all four numbers; strict comparison, which matters only on ties:
    none in continuous data)."""
    prdc = pytest.importorskip("prdc", reason="the prdc package (requirements.txt) is not installed")
    rng = np.random.default_rng(6)
    real = clusters(600, rng, CENTRES[:4], spread=3.0)
    fake = clusters(600, rng, CENTRES[1:6], spread=2.0)
    mine = manifold.prdc(real, fake)
    at_3 = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=3)
    at_5 = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=5)
    expected = [at_3["precision"], at_3["recall"], at_5["density"], at_5["coverage"]]
    assert [mine[k] for k in ("precision", "recall", "density", "coverage")] == pytest.approx(expected, abs=1e-12)
    assert 0.05 < mine["precision"] < 0.95 and 0.05 < mine["recall"] < 0.95  # not a trivial case
