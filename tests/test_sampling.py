"""How samples are drawn (evaluation.sampling, wganlib.judge.sampling): batch norm's moving averages or
each batch's statistics, as the official code draws them. On a tiny generator with batch norm the
two differ; batch statistics depend only on the weights, the noise and the batch size; drawing
either way changes no variable (so the training job, which draws its frames both ways, trains as
before: tests/test_training.py checks the frames)."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.judge import sampling  # noqa: E402
from wganlib.judge.evaluation import generate, sampler  # noqa: E402
from wganlib.train.models import Layers, dcgan_generator  # noqa: E402

BATCH = 4
BATCHES = sampling.settings(sampling.BATCH_STATISTICS, BATCH)
MOVING = sampling.settings(sampling.MOVING_AVERAGES, BATCH)


def tiny_generator(batch_norm: str = "all"):
    tf.keras.utils.set_random_seed(0)
    return dcgan_generator(6, 4, 0, False, batch_norm, "tanh", Layers("official", 1e-5, False))


def noise(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 6)).astype(np.float32)


def values(model) -> list[np.ndarray]:
    return [v.numpy().copy() for v in model.weights]


def test_settings_name_the_batch_size_only_where_it_matters():
    assert MOVING == {"mode": "moving_averages", "batch_size": None}
    assert BATCHES == {"mode": "batch_statistics", "batch_size": BATCH}
    with pytest.raises(ValueError, match="moving_averages, batch_statistics"):
        sampling.settings("batch", 4)


def test_the_noise_is_drawn_in_batches_of_the_batch_size_in_its_order():
    z = np.arange(20, dtype=np.float32).reshape(10, 2)
    plan = [(batch[:, 0] // 2, keep) for batch, keep in sampling.noise_batches(z, 4)]
    assert [(list(b), k) for b, k in plan] == [
        ([0, 1, 2, 3], slice(0, 4)),
        ([4, 5, 6, 7], slice(0, 4)),
        ([6, 7, 8, 9], slice(2, 4)),  # the last partial batch: the four rows ending at the last, 8 and 9 kept
    ]
    (batch, keep), *more = sampling.noise_batches(z[:3], 4)  # fewer rows than a batch: repeated
    assert not more and list(batch[:, 0] // 2) == [0, 1, 2, 0] and keep == slice(0, 3)


def test_the_two_ways_differ_and_batch_statistics_depend_on_nothing_else():
    generator, z = tiny_generator(), noise(10)
    moving, batches = sampler(generator, MOVING)(z), sampler(generator, BATCHES)(z)
    assert moving.shape == batches.shape == (10, 28, 28, 1)
    assert np.abs(moving - batches).max() > 0.05  # an untrained generator's moving averages are 0 and 1
    # the same noise order gives the same samples, batch by batch, whatever else was drawn
    np.testing.assert_array_equal(sampler(generator, BATCHES)(z), batches)
    np.testing.assert_array_equal(sampler(generator, BATCHES)(z[:4]), batches[:4])
    first_batch = generator(tf.constant(z[:4]), training=True).numpy()  # this call updates the moving averages
    np.testing.assert_allclose(batches[:4], first_batch, atol=1e-6)
    # moving averages changed by that call: the moving samples follow them, the batch samples do not
    assert np.abs(sampler(generator, MOVING)(z) - moving).max() > 0
    np.testing.assert_array_equal(sampler(generator, BATCHES)(z), batches)
    for variable in generator.non_trainable_variables:
        variable.assign(np.random.default_rng(2).uniform(0.5, 2, variable.shape).astype(np.float32))
    np.testing.assert_array_equal(sampler(generator, BATCHES)(z), batches)


def test_drawing_either_way_changes_no_variable():
    generator, z = tiny_generator(), noise(9)
    before = values(generator)
    for settings in (MOVING, BATCHES, None):
        generate(sampler(generator, settings), z)
    assert all(np.array_equal(a, b) for a, b in zip(before, values(generator), strict=True))


def test_without_batch_norm_both_ways_are_the_same():
    generator, z = tiny_generator("none"), noise(6)
    np.testing.assert_allclose(sampler(generator, MOVING)(z), sampler(generator, BATCHES)(z), atol=1e-6)
