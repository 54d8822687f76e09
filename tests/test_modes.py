"""Stacked MNIST's mode metric (wganlib.measures.modes) on histograms made by hand, the per-channel labels,
and the per-channel judge end to end on made-up digit images (wganlib.judge.evaluation)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from wganlib.measures import modes


def test_all_thousand_modes_equally_often_give_kl_zero():
    labels = np.tile(np.arange(1000), 26)
    assert modes.modes_hit(labels, 1000) == 1000
    assert modes.kl_from_uniform(labels, 1000) == pytest.approx(0.0, abs=1e-12)


def test_one_mode_gives_log_1000():
    labels = np.full(26_000, 345)
    assert modes.modes_hit(labels, 1000) == 1
    assert modes.kl_from_uniform(labels, 1000) == pytest.approx(math.log(1000))


def test_a_mode_counts_from_one_sample_and_kl_follows_the_histogram():
    labels = np.array([7] * 500 + [8] * 499 + [9])  # mode 9: one sample, still covered (PacGAN's count)
    assert modes.modes_hit(labels, 1000) == 3
    p = np.array([500, 499, 1]) / 1000
    assert modes.kl_from_uniform(labels, 1000) == pytest.approx(float(np.sum(p * np.log(1000 * p))))
    half = np.repeat(np.arange(500), 4)  # half the modes, equally: KL log 2
    assert modes.kl_from_uniform(half, 1000) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="outside"):
        modes.kl_from_uniform([1000], 1000)


def test_channel_digits_and_stacked_labels():
    labels = np.array([0, 7, 345, 999, 120])
    digits = modes.channel_digits(labels)
    np.testing.assert_array_equal(digits, [[0, 0, 0], [0, 0, 7], [3, 4, 5], [9, 9, 9], [1, 2, 0]])
    np.testing.assert_array_equal(modes.stacked_label(digits), labels)
    swapped = modes.stacked_label(digits[:, [1, 0, 2]])  # red and green exchanged
    assert swapped[2] == 435 and swapped[4] == 210
    with pytest.raises(ValueError, match="stacked labels"):
        modes.channel_digits([1000])


def test_channel_images_are_the_distinct_digits_with_their_labels():
    digit = np.stack([np.full((4, 4), 10 * d, np.uint8) for d in range(10)])  # digit d: all pixels 10 d
    picks = np.array([[3, 1, 4], [1, 5, 9], [2, 6, 5]])
    images = np.stack([digit[p] for p in picks.T], axis=-1)  # (3, 4, 4, 3)
    labels = modes.stacked_label(picks)
    x, y = modes.channel_images(images, labels)
    np.testing.assert_array_equal(y, [3, 1, 4, 5, 9, 2, 6])  # first appearance, each once
    np.testing.assert_array_equal(x, digit[y])


def test_stacked_modes_from_joint_probabilities():
    """The mode of a sample is its most likely joint class, which for a product of the channels'
    digit probabilities is the most likely digit of each channel."""
    rng = np.random.default_rng(0)
    per_channel = rng.dirichlet(np.ones(10), size=(50, 3))
    joint = np.einsum("na,nb,nc->nabc", *per_channel.transpose(1, 0, 2)).reshape(50, 1000)
    labels = modes.stacked_label(per_channel.argmax(axis=2))
    result = modes.stacked_modes(joint)
    assert result["stacked_modes"] == len(set(labels)) and result["stacked_samples"] == 50
    assert result["stacked_kl"] == pytest.approx(modes.kl_from_uniform(labels, 1000))
    np.testing.assert_array_equal(joint.argmax(axis=1), labels)


def test_channel_probabilities_are_the_marginals_of_the_joint_ones():
    rng = np.random.default_rng(1)
    per_channel = rng.dirichlet(np.ones(10), size=(40, 3))
    joint = np.einsum("na,nb,nc->nabc", *per_channel.transpose(1, 0, 2)).reshape(40, 1000)
    np.testing.assert_allclose(modes.channel_probabilities(joint), per_channel, atol=1e-12)
    with pytest.raises(ValueError, match="1000"):
        modes.channel_probabilities(joint[:, :999])


def test_the_confidence_threshold_keeps_its_share_of_real_digits():
    top = np.linspace(0.5, 1.0, 1000)  # each digit's largest probability
    probs = np.stack([top, 1 - top], axis=1)
    threshold = modes.confidence_threshold(probs, keep=0.95)
    assert np.mean(top >= threshold) >= 0.95 and np.mean(top >= np.nextafter(threshold, 2)) < 0.95
    assert modes.confidence_threshold(probs, keep=1.0) == 0.5


def test_the_jobs_that_judge_stacked_mnist_read_its_confidence_threshold():
    """The evaluate rule and a monitored training run read the per-channel judge's record (its
    confidence threshold); a judge of ten classes has none to read."""
    from wganlib.judge import judges

    assert judges.judge_inputs("stacked-mnist")["judge_record"] == "results/stacked-mnist/evaluation/classifier.json"
    assert "judge_record" not in judges.judge_inputs("mnist-5k")


def test_legible_samples_needed_bring_a_generator_of_every_mode_within_the_margin():
    needed = modes.legible_samples_needed(1000, 50)
    assert needed == 2996
    expected_misses = [1000 * math.exp(-n / 1000) for n in (needed - 1, needed)]
    assert expected_misses[0] > 50 >= expected_misses[1]
    with pytest.raises(ValueError, match="margin"):
        modes.legible_samples_needed(1000, 0)


# A judge faked in numpy, reading the made-up digits below (a bright block whose place says the
# digit): each channel's digit probabilities from its ten blocks' brightness.
BLOCKS = [(slice(4 + 12 * (d // 5), 10 + 12 * (d // 5)), slice(1 + 5 * (d % 5), 6 + 5 * (d % 5))) for d in range(10)]


def read_digits(channels: np.ndarray) -> np.ndarray:
    """(N, 28, 28) -> (N, 10): a softmax of each block's mean brightness."""
    logits = np.stack([channels[:, rows, cols].mean(axis=(1, 2)) / 10.0 for rows, cols in BLOCKS], axis=1)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def read_stacked(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28, 3) -> joint probabilities (N, 1000), the products of the channels' readings."""
    a, b, c = (read_digits(images[..., k].astype(np.float64)) for k in range(3))
    return np.einsum("na,nb,nc->nabc", a, b, c).reshape(len(images), 1000)


def test_the_confident_count_tells_legible_triples_from_noise_and_the_count_of_every_sample_does_not():
    """Illegible noise spreads its readings over every digit and so fills nearly every one of the
    1,000 cells; a generator of ten legible triples fills ten. PacGAN's count ranks the noise far
    above the digits; the confident count, at the threshold that keeps 95 % of real digits, gives
    the noise none and the ten triples ten, each with the samples it rests on."""
    rng = np.random.default_rng(0)
    real = made_up_digits(np.arange(1000) % 10, rng)
    threshold = modes.confidence_threshold(read_digits(real.astype(np.float64)))
    noise = rng.integers(0, 256, (10_000, 28, 28, 3)).astype(np.uint8)
    triples = np.array([[d, (d + 3) % 10, (d + 7) % 10] for d in range(10)])[rng.integers(0, 10, 10_000)]
    legible = np.stack([made_up_digits(triples[:, c], rng) for c in range(3)], axis=-1)
    noise_probs, legible_probs = read_stacked(noise), read_stacked(legible)
    every_sample = (modes.stacked_modes(noise_probs), modes.stacked_modes(legible_probs))
    assert every_sample[0]["stacked_modes"] > 990 and every_sample[1]["stacked_modes"] == 10  # noise "wins"
    confident_noise = modes.confident_modes(noise_probs, threshold)
    confident_legible = modes.confident_modes(legible_probs, threshold)
    assert confident_noise == {"stacked_confident_modes": 0, "stacked_confident_samples": 0}
    assert confident_legible["stacked_confident_modes"] == 10
    # each channel as legible as a real digit, so about 0.95 ** 3 of the samples pass all three
    assert 0.95**3 - 0.05 < confident_legible["stacked_confident_samples"] / 10_000 < 0.95**3 + 0.05


# -- the per-channel judge, end to end ----------------------------------------------------------


def made_up_digits(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """28x28 'digits': a bright block whose place says the digit, on faint noise."""
    images = rng.integers(0, 40, (len(digits), 28, 28)).astype(np.uint8)
    for image, d in zip(images, digits, strict=True):
        row, col = divmod(int(d), 5)
        image[4 + 12 * row : 10 + 12 * row, 1 + 5 * col : 6 + 5 * col] = 255
    return images


def stacked_set(digit_images: np.ndarray, digits: np.ndarray, n: int, seed: int):
    picks = np.random.default_rng(seed).integers(0, len(digit_images), (n, 3))
    images = np.stack([digit_images[picks[:, c]] for c in range(3)], axis=-1)
    return images, modes.stacked_label(digits[picks])


@pytest.mark.slow
def test_the_per_channel_judge_end_to_end(tmp_path):
    """Trained on the channels of made-up stacked images: it labels whole images by their three
    digits, a swapped channel gives another label, it survives saving, and the evaluation counts
    its modes."""
    pytest.importorskip("tensorflow")
    import keras
    from wganlib.judge.evaluation import Judge, load_judge, score, train_judge

    rng = np.random.default_rng(0)
    train_digits, test_digits = np.arange(200) % 10, np.arange(100) % 10
    train = stacked_set(made_up_digits(train_digits, rng), train_digits, 600, 0)
    test = stacked_set(made_up_digits(test_digits, rng), test_digits, 300, 1)
    data = {"x_train": train[0], "y_train": train[1], "x_test": test[0], "y_test": test[1]}
    classifier, accuracy = train_judge(data, "digits-per-channel", epochs=3, seed=0)
    assert accuracy["digits_train"] == 200 and accuracy["digits_test"] == 100
    assert accuracy["digit_accuracy"] > 0.95 and accuracy["test_accuracy"] > 0.85
    assert 0 < accuracy["confidence_threshold"] <= 1 and accuracy["confident_share"] == modes.CONFIDENT_SHARE
    classifier.save(tmp_path / "judge.keras")
    (tmp_path / "classifier.json").write_text(json.dumps(accuracy))
    judge = load_judge({"classifier": tmp_path / "judge.keras", "judge_record": tmp_path / "classifier.json"})
    assert judge.joint_modes == 1000 and judge.confidence_threshold == accuracy["confidence_threshold"]
    features, probs = judge(test[0])
    assert features.shape == (300, 3 * 128) and probs.shape == (300, 1000)
    labels = probs.argmax(axis=1)
    assert np.mean(labels == test[1]) == pytest.approx(accuracy["test_accuracy"])
    swapped = judge(test[0][..., [1, 0, 2]])[1].argmax(axis=1)
    differ = modes.channel_digits(test[1])[:, 0] != modes.channel_digits(test[1])[:, 1]
    assert np.mean(swapped[differ] == test[1][differ]) < 0.1  # caught: another stacked label
    np.testing.assert_array_equal(swapped, modes.stacked_label(modes.channel_digits(labels)[:, [1, 0, 2]]))
    reference = {"features": features, "labels": test[1]}
    settings = {"kid_subsets": 2, "kid_subset_size": 50, "mode_min_share": 0.05}
    result = score(judge, train[0][:300], reference, settings)
    assert result["stacked_modes"] == len(set(judge(train[0][:300])[1].argmax(axis=1)))
    assert result["stacked_samples"] == 300 and 0 < result["stacked_kl"] < math.log(1000)
    confident = modes.confident_modes(judge(train[0][:300])[1], accuracy["confidence_threshold"])
    assert {k: result[k] for k in confident} == confident and 0 < confident["stacked_confident_samples"] <= 300
    unthresholded = Judge(keras.models.load_model(tmp_path / "judge.keras", compile=False))  # trained before it
    assert "stacked_confident_modes" not in score(unthresholded, train[0][:300], reference, settings)
    assert {"precision", "recall", "density", "coverage"} <= set(result)
