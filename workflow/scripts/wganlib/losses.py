"""The objectives, written as the formulas of the papers.

D and f below return raw numbers (a logit for the GAN discriminator, a critic value for WGAN).
"""

from __future__ import annotations

import math

import tensorflow as tf


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


def clip_weights(critic, clip_value: float) -> None:
    """WGAN's Lipschitz constraint: every critic parameter into [-c, c] after each update."""
    for weight in critic.trainable_weights:
        weight.assign(tf.clip_by_value(weight, -clip_value, clip_value))
