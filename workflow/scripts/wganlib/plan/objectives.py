"""The models of the grid, one row each: the one place where a model's name is written.

A row says what a model is beyond its losses (which ``wganlib.train.losses.OBJECTIVES`` keys by the same
names, with TensorFlow): the estimate its critic gives, its default settings (the config's
``model_settings.<name>``, filled into the schema from here), the settings only it reads, what its
critic's batch norm becomes, its colour in the figures, and whether it is one of the WGAN paper's
three models, which the claims pair. Adding a model is one row here and one in ``losses``
(docs/extending.md). No TensorFlow.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

# The WGAN paper's models, which its claims name: the standard GAN (DCGAN recipe), WGAN, WGAN-GP.
GAN, WGAN, WGAN_GP = "dcgan", "wgan", "wgan-gp"
# The hinge loss with spectral normalisation (Miyato et al. 2018): the worked example of docs/extending.md.
SNGAN = "sngan"


@dataclass(frozen=True)
class Estimate:
    """The distance a critic's loss estimates, as metrics.csv and the figures show it."""

    name: str  # the summary's columns spearman_<name>_fid
    column: str  # metrics.csv's column
    short: str  # its name in legends and panels
    label: str  # the figures' axis label
    figure: str  # the estimate figure that draws it: the critics' (em_estimate) or the GAN's (js_estimate)


ESTIMATES = {
    e.name: e
    for e in (
        Estimate("em", "em_estimate", "EM", "EM estimate (critic units)", "em_estimate"),
        Estimate("js", "js_estimate", "JS", "JS estimate (nats)", "js_estimate"),
        # 1 - L_D / 2 of the hinge loss: the total variation distance at the best unconstrained critic,
        # below it for any other (losses.tv_estimate); neither an EM nor a JS estimate.
        Estimate("tv", "tv_estimate", "TV", "TV estimate, 1 - L_D/2 (hinge critic)", "em_estimate"),
    )
}


@dataclass(frozen=True)
class Model:
    """One model of the grid: what every part of the workflow reads about it."""

    name: str
    estimate: str  # a key of ESTIMATES
    colour: str  # Okabe-Ito, distinguishable with the common colour-vision deficiencies
    settings: dict  # defaults of model_settings.<name> (their meaning: the schema's $defs/model_settings)
    only: tuple[str, ...] = ()  # settings no other model reads: setting them for another is a mistake
    critic_norm: tuple[str, str] = ("batch", "none")  # the critic's normalisation with and without batch_norm
    update_cost: int = 1  # a critic update's work, in plain updates (training_cost, the train rule's priority)
    paper: bool = False  # one of the paper's three: the default grid, the claims and Table 2 pair them
    literature: tuple[str, float, float] | None = None  # Lucic et al. 2018, Table 2: name, best MNIST FID, s.d.


_ROWS = (
    Model(
        GAN,
        estimate="js",
        colour="#CC79A7",
        settings=dict(
            optimizer="adam", learning_rate=2.0e-4, beta_1=0.5, beta_2=0.999, epsilon=1.0e-8, init="official",
            norm_epsilon=1.0e-5, conv_bias=False, n_critic=1, critic_burst=None, epoch_ends_critic_run=False,
        ),
        paper=True,
        literature=("NS-GAN", 6.8, 0.5),  # their non-saturating GAN is this dcgan
    ),
    Model(
        WGAN,
        estimate="em",
        colour="#0072B2",
        settings=dict(
            optimizer="rmsprop", learning_rate=5.0e-5, rho=0.99, epsilon=1.0e-8, init="official",
            norm_epsilon=1.0e-5, conv_bias=False, clip_value=0.01, clip_at="critic_start", n_critic=5,
            critic_burst={"iterations": 100, "first": 25, "every": 500}, epoch_ends_critic_run=True,
        ),
        only=("clip_value", "clip_at"),
        paper=True,
        literature=("WGAN", 6.7, 0.4),
    ),
    Model(
        WGAN_GP,
        estimate="em",
        colour="#009E73",
        settings=dict(
            optimizer="adam", learning_rate=1.0e-4, beta_1=0.5, beta_2=0.9, epsilon=1.0e-8, init="glorot",
            norm_epsilon=1.0e-5, conv_bias=True, n_critic=5, gradient_penalty=10.0, critic_burst=None,
            epoch_ends_critic_run=False,
        ),
        only=("gradient_penalty",),
        # the penalty is per sample, which batch norm would mix: layer norm instead (Gulrajani et al., Sec. 4)
        critic_norm=("layer", "none"),
        update_cost=2,  # the penalty's double backward
        paper=True,
        literature=("WGAN-GP", 20.3, 5.0),
    ),
    # Miyato et al. 2018 (arXiv 1802.05957): the hinge loss, every critic layer spectrally normalised
    # and no batch norm in the critic (losses, models.SpectralNorm); Adam as their Table 1's setting C
    # (Radford et al.'s DCGAN setting, the dcgan row's too); biases, as their code's layers have them.
    Model(
        SNGAN,
        estimate="tv",
        colour="#E69F00",
        settings=dict(
            optimizer="adam", learning_rate=2.0e-4, beta_1=0.5, beta_2=0.999, epsilon=1.0e-8, init="official",
            norm_epsilon=1.0e-5, conv_bias=True, n_critic=1, critic_burst=None, epoch_ends_critic_run=False,
        ),
        critic_norm=("spectral", "spectral"),
    ),
)  # fmt: skip
MODELS: dict[str, Model] = {row.name: row for row in _ROWS}
PAPER_MODELS = tuple(name for name, row in MODELS.items() if row.paper)


def estimate_of(model: str | None) -> Estimate | None:
    """The estimate a model's runs log; None for a name the table lacks."""
    row = MODELS.get(model)  # type: ignore[arg-type]
    return ESTIMATES[row.estimate] if row else None


def with_estimate(name: str, models=PAPER_MODELS) -> tuple[str, ...]:
    """Those of ``models`` whose critic gives the estimate ``name`` (a key of ESTIMATES)."""
    return tuple(m for m in models if MODELS[m].estimate == name)


def model_only() -> dict[str, str]:
    """Setting -> the one model that reads it."""
    return {key: row.name for row in MODELS.values() for key in row.only}


def fill_schema(schema: dict) -> dict:
    """The config schema with the models' names and default settings from this table: the
    ``models`` list's choices and default (the paper's three), and ``model_settings.<name>``."""
    properties = schema["properties"]
    properties["models"]["items"] = {"enum": list(MODELS)}
    properties["models"]["default"] = [name for name, row in MODELS.items() if row.paper]
    properties["model_settings"]["properties"] = {
        row.name: {
            "$ref": "#/$defs/model_settings",
            "default": {},
            "properties": {key: {"default": copy.deepcopy(value)} for key, value in row.settings.items()},
        }
        for row in MODELS.values()
    }
    return schema


def critic_updates_before(n: int, n_critic: int, burst: dict | None) -> int:
    """Critic updates of generator iterations 0 to n - 1 under ``critic_iterations``' schedule."""
    bursts = 0
    if burst:  # iterations below `first`, and the multiples of `every` from `first` on
        bursts = min(n, burst["first"]) + max(0, -(-n // burst["every"]) - -(-burst["first"] // burst["every"]))
    return bursts * (burst["iterations"] if burst else 0) + (n - bursts) * n_critic
