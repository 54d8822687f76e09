"""What the benchmark measures and for how long: the one place its defaults live.

The rule passes only overrides (`params.settings`, empty by default) and `quick`; editing a default
here reruns the rule, since this file is part of the rule's code digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wganlib.judge.judges import INCEPTION_FEATURES
from wganlib.plan.config import Experiment, experiments, validate
from wganlib.plan.objectives import GAN, PAPER_MODELS, WGAN_GP

# The benchmark evaluates nothing: sample counts that every dataset's judge accepts (an Inception-
# judged one, LSUN, needs more than its 2,048 features).
ENOUGH_FOR_ANY_JUDGE = INCEPTION_FEATURES + 1


@dataclass
class BenchSettings:
    """The benchmark's own settings, not the experiment grid's."""

    models: list[str] = field(default_factory=lambda: list(PAPER_MODELS))
    architectures: list[str] = field(default_factory=lambda: ["conv", "conv-nobn", "mlp", "conv-bn-first"])
    # Conv filters: the schema's presets, then the default config's; the MLP generator keeps 512.
    widths: list[int] = field(default_factory=lambda: [64, 32])
    # Keras dtype policies (training.precision's values; `auto` is resolved on the machine): a row
    # each, timed in interleaved repetitions, so each one's critic steps/s over float32's holds.
    precisions: list[str] = field(default_factory=lambda: ["float32", "mixed_bfloat16"])
    # fit() is timed for these (model, architecture, width) combinations only: its trace is slow.
    fit_models: list[str] = field(default_factory=lambda: list(PAPER_MODELS))
    fit_architectures: list[str] = field(default_factory=lambda: ["conv", "mlp"])
    fit_widths: list[int] = field(default_factory=lambda: [32])
    # Rows for colour networks after those (28x28x1, mnist-5k's): each dataset's images, here
    # CIFAR-10's 32x32x3 and the paper's LSUN bedrooms at 64x64x3, for which the conv presets are the
    # official DCGAN_G and DCGAN_D; every model with these presets and widths (64: the official
    # ngf and ndf, the generator 512 wide at 4x4), in every precision, without fit().
    image_datasets: list[str] = field(default_factory=lambda: ["cifar10", "lsun-bedroom"])
    image_architectures: list[str] = field(default_factory=lambda: ["conv"])
    image_widths: list[int] = field(default_factory=lambda: [64])
    batch_size: int = 64
    z_dim: int = 64
    repetitions: int = 5
    warmup_critic_steps: int = 5  # after the first call; rounded up to whole generator iterations
    timed_critic_steps: int = 10  # per repetition; rounded up to whole generator iterations
    matmul_size: int = 2048
    matmul_repetitions: int = 5  # each peak: float32, and bfloat16 when a precision uses it
    n_images: int = 2048  # synthetic uint8 images of each shape: speed does not depend on content
    use_gpu: bool = False
    # Thread layouts: with all the job's cores, one training process using them all against one
    # single-thread process per core, running at once; aggregate generator iterations/s of each.
    layout_models: list[str] = field(default_factory=lambda: list(PAPER_MODELS))
    layout_architecture: str = "conv"
    layout_width: int = 32
    layout_seconds: float = 10.0  # the timed window, after warm-up, all processes at once
    layout_repetitions: int = 3
    # Where the time goes: TensorFlow's profiler on these models (profile architecture and width),
    # and the critic's conv kernels timed alone.
    profile_models: list[str] = field(default_factory=lambda: list(PAPER_MODELS))
    profile_architecture: str = "conv"
    profile_width: int = 32
    profile_iterations: int = 5

    @classmethod
    def from_params(cls, overrides: dict, quick: bool = False) -> BenchSettings:
        """The defaults with the rule's overrides, then the quick run's (when `quick`)."""
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown benchmark settings: {', '.join(sorted(unknown))}")
        return cls(**{**overrides, **(QUICK if quick else {})})

    def plan(self) -> list[tuple[Experiment, bool]]:
        """Every configuration timed, and whether fit() is timed beside it: the 28x28 networks at
        each width, then the colour networks of each of `image_datasets` (no fit())."""
        plan = []
        for width in self.widths:
            for exp in self.experiments(self.models, self.architectures, width):
                with_fit = (
                    exp.model in self.fit_models
                    and exp.architecture in self.fit_architectures
                    and width in self.fit_widths
                )
                plan.append((exp, with_fit))
        for dataset in self.image_datasets:
            for width in self.image_widths:
                plan += [
                    (exp, False) for exp in self.experiments(self.models, self.image_architectures, width, dataset)
                ]
        return plan

    def experiments(
        self, models: list[str], architectures: list[str], width: int, dataset: str | None = None
    ) -> list[Experiment]:
        """The schema's models and presets at `width` (conv networks), batch size and z_dim of the run,
        sized for `dataset`'s images (the default config's when None); none when `models` or
        `architectures` is empty (that part of the benchmark is skipped)."""
        if not models or not architectures:
            return []
        presets = validate({})["architecture_definitions"]
        definitions = {}
        for name in architectures:
            definitions[name] = {
                role: {**spec, "width": width} if spec["type"] == "conv" else dict(spec)
                for role, spec in presets[name].items()
            }
        config = validate(
            {
                **({"datasets": [dataset]} if dataset else {}),
                "models": models,
                "architectures": architectures,
                "training": {"batch_size": self.batch_size, "z_dim": self.z_dim},
                "architecture_definitions": definitions,
                "evaluation": dict.fromkeys(("final_samples", "snapshot_samples"), ENOUGH_FOR_ANY_JUDGE),
            }
        )
        return list(experiments(config).values())


# A smoke run of every code path in well under a minute: tiny networks, few steps, fit() for one
# model, both precisions.
QUICK = {
    "models": [GAN, WGAN_GP],
    "architectures": ["conv"],
    "widths": [8],
    "precisions": ["float32", "mixed_bfloat16"],
    "fit_models": [GAN],
    "fit_architectures": ["conv"],
    "fit_widths": [8],
    "image_datasets": ["cifar10", "lsun-bedroom"],
    "image_architectures": ["conv"],
    "image_widths": [8],
    "repetitions": 2,
    "warmup_critic_steps": 1,
    "timed_critic_steps": 2,
    "matmul_size": 256,
    "matmul_repetitions": 2,
    "n_images": 256,
    "layout_models": [GAN],
    "layout_width": 8,
    "layout_seconds": 1.0,
    "layout_repetitions": 1,
    "profile_models": [GAN],
    "profile_width": 8,
    "profile_iterations": 1,
}
