"""Tests of the sample-quality metrics against closed forms and constructed cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from wganlib.measures import metrics

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# --- FID ------------------------------------------------------------------------------------------


def test_fid_of_sample_with_itself_is_zero() -> None:
    x = np.random.default_rng(0).normal(size=(2000, 32)) * 3.0 + 1.0
    assert metrics.fid(x, x) == pytest.approx(0.0, abs=1e-6)


def test_fid_grows_monotonically_with_mean_shift() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2000, 16)), rng.normal(size=(2000, 16))
    values = [metrics.fid(a, b + shift) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert all(lo < hi for lo, hi in zip(values, values[1:], strict=False)), values
    # a shift of s in all 16 dims adds about 16 s^2
    assert values[-1] == pytest.approx(16 * 2.0**2, rel=0.05)


def test_frechet_distance_matches_closed_form_for_diagonal_covariances() -> None:
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    var1, var2 = rng.uniform(0.1, 4.0, size=8), rng.uniform(0.1, 4.0, size=8)
    # commuting covariances: tr(S1 + S2 - 2 (S1 S2)^{1/2}) = sum (sqrt(a) - sqrt(b))^2
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    got = metrics.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_matches_closed_form_for_commuting_rotated_covariances() -> None:
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))  # shared eigenvectors: non-diagonal but commuting
    var1, var2 = rng.uniform(0.1, 4.0, size=6), rng.uniform(0.1, 4.0, size=6)
    s1, s2 = q @ np.diag(var1) @ q.T, q @ np.diag(var2) @ q.T
    expected = np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert metrics.frechet_distance(np.zeros(6), s1, np.zeros(6), s2) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_non_diagonal_spd_is_real_symmetric_non_negative() -> None:
    rng = np.random.default_rng(4)
    mu1, mu2 = rng.normal(size=20), rng.normal(size=20)
    s1, s2 = random_spd(rng, 20), random_spd(rng, 20)
    ab = metrics.frechet_distance(mu1, s1, mu2, s2)
    ba = metrics.frechet_distance(mu2, s2, mu1, s1)
    assert isinstance(ab, float) and np.isfinite(ab) and ab >= 0.0
    assert ab == pytest.approx(ba, rel=1e-9, abs=1e-9)
    # the trace term against an independent route: eigenvalues of S1 S2 are real and non-negative
    eig = np.linalg.eigvals(s1 @ s2)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(eig.real))
    assert ab == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("n_samples", [3, 10, 40])
def test_fid_with_rank_deficient_covariance_is_finite(n_samples: int) -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(n_samples, 64)), rng.normal(size=(n_samples, 64)) + 0.3
    value = metrics.fid(a, b)
    assert isinstance(value, float) and np.isfinite(value) and value >= 0.0
    assert metrics.fid(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError):
        metrics.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


# --- KID ------------------------------------------------------------------------------------------


def test_kid_matches_explicit_unbiased_estimator() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) + 0.5
    k = lambda a, b: (a @ b / 3 + 1.0) ** 3  # noqa: E731
    m = len(x)
    within = sum(k(x[i], x[j]) + k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    cross = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    # a subset as large as the set is a permutation of it, and MMD^2 is permutation invariant
    mean, std = metrics.kid(x, y, n_subsets=3, subset_size=100)
    assert mean == pytest.approx(within - 2 * cross, rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-10)


def test_kid_is_unbiased_for_same_distribution_and_positive_for_shifted() -> None:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    mean, std = metrics.kid(a, b, n_subsets=30, subset_size=200, seed=0)
    assert abs(mean) < 3 * std and abs(mean) < 0.05
    shifted_mean, shifted_std = metrics.kid(a, b + 0.5, n_subsets=30, subset_size=200, seed=0)
    assert shifted_mean > 0.5 and shifted_mean > 5 * shifted_std and shifted_mean > 10 * abs(mean)


def test_kid_is_deterministic_given_seed() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(300, 8)), rng.normal(size=(200, 8))
    first = metrics.kid(a, b, n_subsets=5, subset_size=50, seed=3)
    assert metrics.kid(a, b, n_subsets=5, subset_size=50, seed=3) == first
    assert metrics.kid(a, b, n_subsets=5, subset_size=50, seed=4) != first


# --- classifier score -----------------------------------------------------------------------------


def test_classifier_score_is_one_for_a_single_confident_class() -> None:
    probs = np.zeros((500, 10))
    probs[:, 3] = 1.0
    assert metrics.classifier_score(probs) == pytest.approx(1.0, abs=1e-9)


def test_classifier_score_is_near_ten_for_balanced_confident_predictions() -> None:
    probs = np.eye(10)[np.arange(1000) % 10]
    score = metrics.classifier_score(probs)
    assert 9.9 < score <= 10.0 + 1e-9


def test_classifier_score_of_mixtures_lies_between() -> None:
    confident = np.eye(10)[np.arange(500) % 10]
    uniform = np.full((500, 10), 0.1)
    half_and_half = metrics.classifier_score(np.vstack([confident, uniform]))
    five_classes = metrics.classifier_score(np.eye(10)[np.arange(1000) % 5])
    assert 1.0 < half_and_half < 9.9
    assert five_classes == pytest.approx(5.0, rel=1e-6)


# --- class histograms, modes, class KL ------------------------------------------------------------


def test_class_histogram_from_labels_and_probs_agree() -> None:
    labels = np.array([0, 1, 1, 9, 9, 9])
    hist = metrics.class_histogram(labels)
    assert hist.sum() == pytest.approx(1.0)
    assert hist[9] == pytest.approx(0.5)
    np.testing.assert_allclose(metrics.class_histogram(np.eye(10)[labels] * 0.9 + 0.01), hist)


def test_modes_covered_on_constructed_labels() -> None:
    assert metrics.modes_covered(np.full(1000, 7)) == 1
    assert metrics.modes_covered(np.arange(1000) % 10) == 10
    nine_plus_rare = np.concatenate([np.arange(990) % 9, np.full(10, 9)])  # class 9 gets 1%
    assert metrics.modes_covered(nine_plus_rare, min_share=0.05) == 9
    assert metrics.modes_covered(nine_plus_rare) == 9  # default: half a uniform share
    assert metrics.modes_covered(nine_plus_rare, min_share=0.01) == 10


def test_class_kl_zero_for_identical_positive_otherwise_finite_with_empty_classes() -> None:
    uniform = np.full(10, 0.1)
    assert metrics.class_kl(uniform, uniform) == pytest.approx(0.0, abs=1e-12)
    skewed = np.array([0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    assert metrics.class_kl(skewed, uniform) > 0.0
    one_class = np.eye(10)[0]
    collapsed = metrics.class_kl(one_class, uniform)
    assert np.isfinite(collapsed) and collapsed == pytest.approx(np.log(10), rel=1e-3)
    reverse = metrics.class_kl(uniform, one_class)  # reference with empty classes
    assert np.isfinite(reverse) and reverse > collapsed
    # counts and shares give the same value
    assert metrics.class_kl(skewed * 1000, uniform * 70) == pytest.approx(metrics.class_kl(skewed, uniform))


# --- evaluate_features ----------------------------------------------------------------------------


def test_evaluate_features_returns_plain_json_ready_numbers() -> None:
    rng = np.random.default_rng(9)
    features, ref_features = rng.normal(size=(300, 12)), rng.normal(size=(400, 12))
    logits = rng.normal(size=(300, 10)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ref_labels = np.arange(400) % 10
    result = metrics.evaluate_features(
        features, probs, ref_features, ref_labels, kid_subsets=5, kid_subset_size=100, min_share=0.05, seed=0
    )
    assert set(result) == {"fid", "kid", "kid_std", "classifier_score", "modes_covered", "class_kl", "n_samples"}
    assert all(type(result[k]) is float for k in ("fid", "kid", "kid_std", "classifier_score", "class_kl"))
    assert type(result["modes_covered"]) is int and type(result["n_samples"]) is int
    assert result["n_samples"] == 300 and 1 <= result["modes_covered"] <= 10
    json.dumps(result)
    # reference given as probabilities counts by argmax, the same histogram here
    again = metrics.evaluate_features(
        features, probs, ref_features, np.eye(10)[ref_labels], kid_subsets=5, kid_subset_size=100, min_share=0.05
    )
    assert again == result


def test_metrics_module_does_not_import_tensorflow() -> None:
    code = "import sys; import wganlib.measures.metrics; sys.exit('tensorflow' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=SCRIPTS, check=True)
