"""Precision, recall, density and coverage: fidelity and diversity apart, from k-nearest-neighbour
balls around feature vectors (numpy only).

- Precision and recall, Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for
  Assessing Generative Models", k = 3: the real manifold is the union of the balls around each real
  feature X_i reaching its k-th nearest real neighbour, NND_k(X_i), and likewise for the generated
  features Y_j. Precision is the share of generated samples inside the real manifold (fidelity);
  recall the share of real samples inside the generated manifold (diversity: a collapsed generator
  has a small manifold that holds few real samples).
- Density and coverage, Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative
  Models", k = 5, both on the real balls only (generated outliers cannot inflate them):

      density  = 1 / (k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]   (about 1 for a perfect generator)
      coverage = 1 / N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]

Two pitfalls of the published implementations, and what this module does:

- Strict or inclusive at the radius. The papers write the ball as ||y - x|| <= NND_k(x)
  (Kynkaanniemi et al., eq. 1). clovaai's ``prdc`` package compares strictly (``<``). The two agree
  unless a distance equals a radius exactly, which in practice means duplicate features: a real
  feature with k duplicates has radius 0, and a generated copy of it is outside its ball under
  ``<`` (identical real and generated sets get precision 0; photosynthesis-team/piq#285 fixed
  that in piq's P&R). Here the comparison is inclusive, and squared distances below 1e-9 of the
  two points' squared norms, the round-off of computing them by ||a||^2 + ||b||^2 - 2 a.b, count
  as 0, so identical features are at distance exactly 0 whatever the arithmetic's order.
- Which set is which. Precision is judged on the real balls, recall on the generated ones; a
  library whose arguments are given in the other order returns them swapped (a collapsed
  generator then shows low precision and high recall: toshas/torch-fidelity#58). Here the first
  argument is always the real set, and the tests pin the direction on a collapsed generator.

Both sets are cut to the same size, N = min of the two, as in both papers (50,000 and 10,000 of
each): the generated ones by their order (independent noise draws), the real ones by a fixed random
subset. The values depend on N (a ball shrinks as its set grows), so only numbers over the same N
compare. Distances are computed in chunks of at most ``CHUNK_ELEMENTS`` at a time, so 26,000 samples
of each take tens of megabytes, not the 5 GB of a full distance matrix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

PRECISION_RECALL_K = 3  # Kynkaanniemi et al. 2019
DENSITY_COVERAGE_K = 5  # Naeem et al. 2020
# The fewest samples of each set: every sample's k-th nearest other sample must exist.
MIN_SAMPLES = max(PRECISION_RECALL_K, DENSITY_COVERAGE_K) + 1
CHUNK_ELEMENTS = 1 << 22  # distances held at once: 32 MB of float64
ROUND_OFF = 1e-9  # squared distances below this share of ||a||^2 + ||b||^2 are 0 (see above)


def _features(x: ArrayLike, name: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite 2-D array (samples, dims), got shape {x.shape}")
    return x


def _chunks(n_rows: int, n_cols: int):
    """Row slices of an (n_rows, n_cols) distance matrix, each at most CHUNK_ELEMENTS in size."""
    step = max(1, CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _squared_distances(a: NDArray, a_sq: NDArray, b: NDArray, b_sq: NDArray) -> NDArray[np.float64]:
    """||a_i - b_j||^2 for rows a (n, D) and b (m, D), given their squared norms; round-off is 0."""
    scale = a_sq[:, None] + b_sq[None, :]
    d2 = scale - 2.0 * (a @ b.T)
    d2[d2 <= ROUND_OFF * scale] = 0.0
    return d2


def nearest_neighbour_radii(x: ArrayLike, ks: tuple[int, ...]) -> NDArray[np.float64]:
    """Squared distance from each row of x (N, D) to its k-th nearest other row, one column per k
    of ``ks`` (N, len(ks)): NND_k(x)^2. A row is not its own neighbour; its duplicates are."""
    x = _features(x, "features")
    n = x.shape[0]
    if max(ks) > n - 1:
        raise ValueError(f"the {max(ks)}-th nearest neighbour needs more than {max(ks)} samples, got {n}")
    sq = np.einsum("ij,ij->i", x, x)
    radii = np.empty((n, len(ks)))
    for rows in _chunks(n, n):
        d2 = _squared_distances(x[rows], sq[rows], x, sq)
        d2[np.arange(d2.shape[0]), np.arange(rows.start, rows.stop)] = np.inf  # not its own neighbour
        kth = [k - 1 for k in ks]
        radii[rows] = np.partition(d2, kth, axis=1)[:, kth]
    return radii


def equal_sizes(real: ArrayLike, fake: ArrayLike, seed: int = 0) -> tuple[NDArray, NDArray]:
    """Both sets cut to N = the smaller size: the first N generated, a fixed random N real."""
    real, fake = _features(real, "real"), _features(fake, "fake")
    n = min(len(real), len(fake))
    if len(real) > n:
        real = real[np.sort(np.random.default_rng(seed).choice(len(real), n, replace=False))]
    return real, fake[:n]


def prdc(
    real: ArrayLike,
    fake: ArrayLike,
    *,
    pr_k: int = PRECISION_RECALL_K,
    dc_k: int = DENSITY_COVERAGE_K,
    seed: int = 0,
) -> dict[str, float | int]:
    """Precision and recall (k = ``pr_k``), density and coverage (k = ``dc_k``) of generated
    features ``fake`` (M, D) against real features ``real`` (N, D), after ``equal_sizes``.

    One pass over the real-generated distances, a chunk of real rows at a time: each chunk adds
    its generated samples inside its precision balls (an OR over real samples) and inside its
    density balls (a count), and decides recall and coverage for its own real samples.
    Returns precision, recall, density, coverage and prdc_samples (N of each set).
    """
    real, fake = equal_sizes(real, fake, seed)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dims differ: {real.shape[1]} vs {fake.shape[1]}")
    real_radii = nearest_neighbour_radii(real, (pr_k, dc_k))
    fake_radii = nearest_neighbour_radii(fake, (pr_k,))[:, 0]
    real_sq, fake_sq = np.einsum("ij,ij->i", real, real), np.einsum("ij,ij->i", fake, fake)
    n, m = len(real), len(fake)
    in_real_manifold = np.zeros(m, dtype=bool)  # precision: Y_j in some B(X_i, NND_pr_k(X_i))
    in_density_balls = np.zeros(m, dtype=np.int64)  # density: how many B(X_i, NND_dc_k(X_i)) hold Y_j
    recalled = np.zeros(n, dtype=bool)  # recall: X_i in some B(Y_j, NND_pr_k(Y_j))
    covered = np.zeros(n, dtype=bool)  # coverage: some Y_j in B(X_i, NND_dc_k(X_i))
    for rows in _chunks(n, m):
        d2 = _squared_distances(real[rows], real_sq[rows], fake, fake_sq)
        inside_pr = d2 <= real_radii[rows, :1]
        inside_dc = d2 <= real_radii[rows, 1:]
        in_real_manifold |= inside_pr.any(axis=0)
        in_density_balls += inside_dc.sum(axis=0)
        recalled[rows] = (d2 <= fake_radii[None, :]).any(axis=1)
        covered[rows] = inside_dc.any(axis=1)
    return {
        "precision": float(in_real_manifold.mean()),
        "recall": float(recalled.mean()),
        "density": float(in_density_balls.sum() / (dc_k * m)),
        "coverage": float(covered.mean()),
        "prdc_samples": int(n),
    }
