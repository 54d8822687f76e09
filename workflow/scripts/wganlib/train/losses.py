"""The objectives, written as the formulas of the papers, and the table that picks them per model.

D and f below return raw numbers (a logit for the GAN discriminator, a critic value for WGAN and
the hinge loss). As in google/compare_gan's loss_lib and penalty_lib, each model is one row of
``OBJECTIVES``, keyed by the model table's names (wganlib.plan.objectives, which says what else a model
is): the training step reads the row once and has no model branches; "no penalty" and "no
constraint" are functions too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from wganlib.plan.objectives import GAN, SNGAN, WGAN, WGAN_GP


def gan_discriminator_loss(d_real: tf.Tensor, d_fake: tf.Tensor) -> tf.Tensor:
    """-L(D, g) = -(E[log D(x)] + E[log(1 - D(G(z)))]) with D = sigmoid(logit) (Goodfellow et al.)."""
    return tf.reduce_mean(tf.nn.softplus(-d_real)) + tf.reduce_mean(tf.nn.softplus(d_fake))


def gan_generator_loss(d_fake: tf.Tensor) -> tf.Tensor:
    """The non-saturating generator loss -E[log D(G(z))]."""
    return tf.reduce_mean(tf.nn.softplus(-d_fake))


def js_estimate(discriminator_loss: tf.Tensor) -> tf.Tensor:
    """The WGAN paper's Figure 4 quantity: 1/2 L(D, g) + log 2, an estimate of JS(P_r, P_g)."""
    return math.log(2.0) - 0.5 * discriminator_loss


def wasserstein_critic_loss(f_real: tf.Tensor, f_fake: tf.Tensor) -> tf.Tensor:
    """E[f(G(z))] - E[f(x)]: minus the EM estimate of WGAN's Algorithm 1."""
    return tf.reduce_mean(f_fake) - tf.reduce_mean(f_real)


def wasserstein_generator_loss(f_fake: tf.Tensor) -> tf.Tensor:
    """-E[f(G(z))]."""
    return -tf.reduce_mean(f_fake)


def em_estimate(critic_loss: float) -> float:
    """WGAN's estimate of the EM distance W(P_r, P_g): max_f E[f(x)] - E[f(G(z))] (Sec. 3)."""
    return -critic_loss


def hinge_critic_loss(d_real: tf.Tensor, d_fake: tf.Tensor) -> tf.Tensor:
    """E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]: the hinge loss (Lim and Ye 2017; Miyato et al. 2018, Sec. 4)."""
    return tf.reduce_mean(tf.nn.relu(1.0 - d_real)) + tf.reduce_mean(tf.nn.relu(1.0 + d_fake))


def hinge_generator_loss(d_fake: tf.Tensor) -> tf.Tensor:
    """-E[D(G(z))], the hinge loss's generator (Miyato et al. 2018, Sec. 4)."""
    return -tf.reduce_mean(d_fake)


def tv_estimate(critic_loss: float) -> float:
    """1 - L_D / 2: the best unconstrained critic, D = sign(p_r - p_g), brings the hinge loss down to
    2 (1 - TV(P_r, P_g)), and any other critic stays above it, so this is at most the total
    variation distance, equal to it at that critic (as Fig. 4's JS estimate, at its optimal D)."""
    return 1.0 - 0.5 * critic_loss


def gradient_penalty(critic, real: tf.Tensor, fake: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
    """E[(||grad f(x_hat)||_2 - 1)^2] at x_hat = alpha x + (1 - alpha) G(z) (Gulrajani et al., Eq. 3).

    The epsilon inside the square root keeps the gradient of the norm finite at zero.
    """
    x_hat = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        f_hat = critic(x_hat, training=True)
    grad = tape.gradient(f_hat, x_hat)
    norm = tf.sqrt(tf.reduce_sum(tf.square(grad), axis=list(range(1, len(grad.shape)))) + 1e-12)
    return tf.reduce_mean(tf.square(norm - 1.0))


def interpolate_penalty(critic, real: tf.Tensor, fake: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
    """The gradient penalty at random interpolates: alpha ~ U(0, 1) per sample, as in the paper."""
    alpha = rng.uniform([tf.shape(real)[0], 1, 1, 1])
    return gradient_penalty(critic, real, fake, alpha)


def no_penalty(critic, real: tf.Tensor, fake: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
    return tf.constant(0.0)


def clip_weights(critic, clip_value: float) -> None:
    """WGAN's Lipschitz constraint: every critic parameter (kernels, biases, batch-norm scales and
    offsets, as the official code's netD.parameters()) into [-c, c]."""
    for weight in critic.trainable_weights:
        weight.assign(tf.clip_by_value(weight, -clip_value, clip_value))


def no_constraint(critic, clip_value: float | None) -> None:
    pass


@dataclass(frozen=True)
class Objective:
    """What one model optimises, and what its run reports."""

    critic_loss: Callable  # (f(x), f(G(z))) -> the loss the critic minimises
    generator_loss: Callable  # f(G(z)) -> the loss the generator minimises
    penalty: Callable  # (critic, x, G(z), rng) -> the penalty, weighted by gradient_penalty
    constraint: Callable  # (critic, clip_value) -> None, around every critic update (clip_at)
    critic_output: Callable  # the critic's raw output as logged (d_real, d_fake)
    distance: Callable  # critic loss -> the estimate the model table names (objectives.ESTIMATES)

    @property
    def penalised(self) -> bool:
        return self.penalty is not no_penalty


OBJECTIVES = {
    GAN: Objective(
        critic_loss=gan_discriminator_loss,
        generator_loss=gan_generator_loss,
        penalty=no_penalty,
        constraint=no_constraint,
        critic_output=tf.sigmoid,  # D(x) as a probability
        distance=js_estimate,
    ),
    WGAN: Objective(
        critic_loss=wasserstein_critic_loss,
        generator_loss=wasserstein_generator_loss,
        penalty=no_penalty,
        constraint=clip_weights,
        critic_output=tf.identity,
        distance=em_estimate,
    ),
    WGAN_GP: Objective(
        critic_loss=wasserstein_critic_loss,
        generator_loss=wasserstein_generator_loss,
        penalty=interpolate_penalty,
        constraint=no_constraint,
        critic_output=tf.identity,
        distance=em_estimate,
    ),
    # Spectral normalisation is in the critic's layers (models.SpectralNorm), not a constraint here.
    SNGAN: Objective(
        critic_loss=hinge_critic_loss,
        generator_loss=hinge_generator_loss,
        penalty=no_penalty,
        constraint=no_constraint,
        critic_output=tf.identity,
        distance=tv_estimate,
    ),
}
