"""Sample-quality metrics on a classifier's features and class probabilities (numpy/scipy only).

The functions take arrays, so the MNIST classifier that produces them (and TensorFlow) stays out of
this module: ``evaluate_features`` is all an evaluation rule needs once features are computed.

- FID, Frechet distance of Gaussians fitted to features: Heusel et al. 2017, "GANs Trained by a
  Two Time-Scale Update Rule Converge to a Local Nash Equilibrium".
- KID, unbiased MMD^2 with a cubic polynomial kernel: Binkowski et al. 2018, "Demystifying MMD GANs".
- Classifier score, the Inception-score analogue: Salimans et al. 2016, "Improved Techniques for
  Training GANs".
- Mode coverage and class KL on predicted-class histograms (mode dropping shows up in both).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "feature_statistics",
    "frechet_distance",
    "fid",
    "kid",
    "classifier_score",
    "class_histogram",
    "modes_covered",
    "class_kl",
    "evaluate_features",
]


def _as_matrix(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return ``x`` as a 2-D float64 array (N, D), refusing anything else."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (samples, dims), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    return x


def _psd_sqrt(sigma: NDArray[np.float64]) -> NDArray[np.float64]:
    """Symmetric square root of a positive semi-definite matrix by eigendecomposition."""
    sigma = 0.5 * (sigma + sigma.T)  # eigh reads one triangle; symmetrise so both count
    eigvals, eigvecs = np.linalg.eigh(sigma)
    eigvals = np.clip(eigvals, 0.0, None)  # round-off makes null directions slightly negative
    return (eigvecs * np.sqrt(eigvals)) @ eigvecs.T


def feature_statistics(features: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean (D,) and unbiased covariance (D, D) of features (N, D), in float64; N >= 2."""
    x = _as_matrix(features, "features")
    if x.shape[0] < 2:
        raise ValueError("need at least 2 samples for a covariance")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    """Frechet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2) (Heusel et al. 2017).

        d^2 = ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^{1/2})

    with tr((S1 S2)^{1/2}) = tr((S1^{1/2} S2 S1^{1/2})^{1/2}), a symmetric PSD matrix, so the result is
    real (scipy.linalg.sqrtm on S1 S2 returns complex values). That trace equals the sum of singular
    values of S2^{1/2} S1^{1/2}, which is how it is computed: the SVD avoids forming the product and
    squaring round-off, so d(a, a) is 0 to ~1e-12 even for rank-deficient covariances. Both square
    roots come from ``np.linalg.eigh`` with negative eigenvalues clipped to 0. Result clipped at >= 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64).ravel(), np.asarray(mu2, np.float64).ravel()
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"shape mismatch: mu1 {mu1.shape}, mu2 {mu2.shape}, sigma1 {sigma1.shape}, sigma2 {sigma2.shape}"
        )
    diff = mu1 - mu2
    # singular values of S2^{1/2} S1^{1/2} are the square roots of the eigenvalues of S1^{1/2} S2 S1^{1/2}
    tr_covmean = np.linalg.svd(_psd_sqrt(sigma2) @ _psd_sqrt(sigma1), compute_uv=False).sum()
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * tr_covmean
    return float(max(distance, 0.0))


def fid(features_a: ArrayLike, features_b: ArrayLike) -> float:
    """Frechet Inception Distance between two feature sets (N, D) and (M, D) (Heusel et al. 2017)."""
    mu_a, sigma_a = feature_statistics(features_a)
    mu_b, sigma_b = feature_statistics(features_b)
    return frechet_distance(mu_a, sigma_a, mu_b, sigma_b)


def _polynomial_kernel(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """k(x, y) = (x.y / d + 1)^3, the KID kernel (Binkowski et al. 2018, section 4)."""
    k = x @ y.T
    k /= x.shape[1]
    k += 1.0
    return k * k * k  # in-place arithmetic and products: float ** 3 goes through pow, ~8x slower


def _mmd2_unbiased(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Unbiased MMD^2 of equal-size samples (Gretton et al. 2012, eq. 3): diagonals of Kxx, Kyy left out."""
    m = x.shape[0]
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kid(
    features_a: ArrayLike,
    features_b: ArrayLike,
    *,
    n_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance (Binkowski et al. 2018): mean and std of MMD^2 over random subsets.

        MMD^2_u = 1/(m(m-1)) sum_{i!=j} [k(x_i,x_j) + k(y_i,y_j)] - 2/m^2 sum_{i,j} k(x_i,y_j),
        k(x, y) = (x.y / d + 1)^3.

    Each of ``n_subsets`` draws ``subset_size`` rows without replacement from each set (clipped to the
    smaller set). The estimator is unbiased, so it can be slightly negative when the distributions
    match. The std (ddof=0, as in the reference code) is the spread over subsets, not the error of the
    mean. Deterministic given ``seed``.
    """
    x, y = _as_matrix(features_a, "features_a"), _as_matrix(features_b, "features_b")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature dims differ: {x.shape[1]} vs {y.shape[1]}")
    if n_subsets < 1:
        raise ValueError("n_subsets must be >= 1")
    m = min(subset_size, x.shape[0], y.shape[0])
    if m < 2:
        raise ValueError("KID needs at least 2 samples per subset")
    rng = np.random.default_rng(seed)
    values = np.array(
        [
            _mmd2_unbiased(x[rng.choice(x.shape[0], m, replace=False)], y[rng.choice(y.shape[0], m, replace=False)])
            for _ in range(n_subsets)
        ]
    )
    return float(values.mean()), float(values.std())


def _as_probs(probs: ArrayLike) -> NDArray[np.float64]:
    """Return class probabilities (N, C) as float64 with rows renormalised to sum to 1."""
    p = _as_matrix(probs, "probs")
    if np.any(p < 0):
        raise ValueError("probabilities must be non-negative")
    row_sums = p.sum(axis=1, keepdims=True)
    if np.any(row_sums <= 0):
        raise ValueError("every row of probs needs positive mass")
    return p / row_sums  # float32 softmax rows sum to 1 only up to ~1e-7


def classifier_score(probs: ArrayLike, *, eps: float = 1e-12) -> float:
    """Inception-score analogue on a digit classifier (Salimans et al. 2016, section 4):

        score = exp( E_x[ KL(p(y|x) || p(y)) ] ),   p(y) = E_x[p(y|x)],

    on probabilities (N, C); ``eps`` inside the logs keeps log(0) finite. It is 1 when every sample
    gets the same prediction and at most C when predictions are confident and balanced. One score
    over all N samples (no splits).
    """
    p = _as_probs(probs)
    marginal = p.mean(axis=0)
    kl_per_sample = np.sum(p * (np.log(p + eps) - np.log(marginal + eps)), axis=1)
    return float(np.exp(kl_per_sample.mean()))


def class_histogram(probs_or_labels: ArrayLike, n_classes: int = 10) -> NDArray[np.float64]:
    """Share of samples per class (n_classes,), summing to 1.

    Accepts integer labels (N,) or class probabilities (N, C), the latter counted by argmax.
    """
    a = np.asarray(probs_or_labels)
    if a.ndim == 2:
        labels = np.argmax(a, axis=1)
    elif a.ndim == 1:
        if a.size and not np.all(np.equal(np.mod(a, 1), 0)):
            raise ValueError("1-D input must hold integer class labels")
        labels = a.astype(np.int64)
    else:
        raise ValueError(f"expected labels (N,) or probabilities (N, C), got shape {a.shape}")
    if labels.size == 0:
        raise ValueError("no samples")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels outside [0, {n_classes})")
    return np.bincount(labels, minlength=n_classes) / labels.size


def modes_covered(predicted_labels: ArrayLike, n_classes: int = 10, min_share: float | None = None) -> int:
    """Number of classes that receive at least ``min_share`` of the samples.

    ``min_share`` defaults to half a uniform share, 0.5 / n_classes (0.05 for digits), so a class
    counts as a covered mode only if the generator produces it at a visible rate, not by stray
    misclassifications. Accepts labels (N,) or probabilities (N, C).
    """
    share = 0.5 / n_classes if min_share is None else min_share
    return int(np.count_nonzero(class_histogram(predicted_labels, n_classes) >= share))


def class_kl(generated_hist: ArrayLike, reference_hist: ArrayLike, *, eps: float = 1e-6) -> float:
    """KL(generated || reference) = sum_c p_c log(p_c / q_c) between class histograms, in nats.

    Direction: p is the generated histogram, q the reference (test-set labels); it is log(C) when all
    samples fall into one class of a uniform reference. Smoothing: ``eps`` is added to every bin of
    both histograms (counts or shares) before renormalising, so empty classes give a finite value.
    """
    p, q = np.asarray(generated_hist, np.float64).ravel(), np.asarray(reference_hist, np.float64).ravel()
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in length: {p.shape} vs {q.shape}")
    if np.any(p < 0) or np.any(q < 0):
        raise ValueError("histograms must be non-negative")
    p, q = p / p.sum(), q / q.sum()  # counts and shares alike, so eps means the same in both
    p, q = (p + eps) / (1.0 + eps * p.size), (q + eps) / (1.0 + eps * q.size)
    return float(max(np.sum(p * np.log(p / q)), 0.0))


def evaluate_features(
    features: ArrayLike,
    probs: ArrayLike,
    ref_features: ArrayLike,
    ref_probs_or_labels: ArrayLike,
    *,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    min_share: float | None = None,
    seed: int = 0,
) -> dict[str, float | int]:
    """All metrics of generated samples against a reference (real test) set, as plain Python numbers.

    ``features``/``probs``: classifier features (N, D) and class probabilities (N, C) of the
    generated images. ``ref_probs_or_labels``: true test labels (N_ref,) when integers, else
    probabilities (N_ref, C) counted by argmax. Keys: fid, kid, kid_std, classifier_score,
    modes_covered, class_kl, n_samples.
    """
    p = _as_probs(probs)
    n_classes = p.shape[1]
    if np.shape(features)[0] != p.shape[0]:
        raise ValueError(f"features have {np.shape(features)[0]} rows but probs {p.shape[0]}")
    kid_mean, kid_std = kid(features, ref_features, n_subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    return {
        "fid": fid(features, ref_features),
        "kid": kid_mean,
        "kid_std": kid_std,
        "classifier_score": classifier_score(p),
        "modes_covered": modes_covered(p, n_classes, min_share),
        "class_kl": class_kl(class_histogram(p, n_classes), class_histogram(ref_probs_or_labels, n_classes)),
        "n_samples": int(p.shape[0]),
    }
