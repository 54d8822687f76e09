"""Random architectures, the experiment of Gulrajani et al. 2017 (Sec. 5.1, Table 2): which
method trains on which of many architectures drawn at random. Here they are drawn; which method
succeeded on them is ``wganlib.verdicts.robustness``'s.

``robustness.architectures`` architectures (the config's count) are drawn from
``robustness.space`` (choices per block key of the generator and the critic), named ``rand-00``,
``rand-01``, ..., and join the grid as ordinary architectures. Each choice depends only on the
seed, the architecture's index and the key, so a larger count adds architectures and leaves the
earlier ones as they were.

The redraw rule (stated before the sweep ran, docs/robustness-design.md): a draw whose networks
cannot be built for the grid's images (``shapes.conv_plan`` refuses the size) or whose ``cost``
exceeds ``robustness.max_cost`` is drawn again with the attempt counter in the key (attempt 0 is
the draw above, so an architecture that passes keeps its definition), and the first that passes
is kept. No TensorFlow: the cost is counted from the blocks' shapes.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .shapes import conv_sizes

PREFIX = "rand-"
MAX_ATTEMPTS = 100  # a cap no draw of the space can pass in 100 tries is refused, not searched
CRITIC_WEIGHT = 4  # cost = generator + 4 x critic: fits the committed sweep's WGAN times (r 0.99)
COST_UNIT = "M multiply-adds per sample: generator forward + 4 x critic forward"
# The schema's defaults for the keys a space may leave out (network_blocks)
DEFAULTS = {"conv": {"width": 64, "depth": 0, "kernel_size": 4}, "mlp": {"width": 512, "depth": 3}}


def _choice(options: Sequence[Any], *key: Any) -> Any:
    """One of ``options``, uniformly, as a function of ``key`` only (stable across versions of
    Python and NumPy, unlike their generators' streams)."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def name(index: int) -> str:
    return f"{PREFIX}{index:02d}"


def draw(space: Mapping, seed: int, index: int, attempt: int = 0) -> dict:
    """Architecture ``index`` under ``seed``: {generator: {type, ...}, critic: {type, ...}}, one
    choice per key of ``space[net][type]``; ``attempt`` > 0 is the redraw rule's next try."""
    key = (seed, index) if attempt == 0 else (seed, index, f"redraw-{attempt}")
    architecture = {}
    for net in ("generator", "critic"):
        kind = _choice(space[net]["type"], *key, net, "type")
        blocks = {"type": kind}
        for option, options in sorted(space[net].get(kind, {}).items()):
            blocks[option] = _choice(options, *key, net, kind, option)
        architecture[net] = blocks
    return architecture


# ---------------------------------------------------------------- cost, from the shapes alone


def forward_macs(net: str, blocks: Mapping, image_shape: Sequence[int], z_dim: int) -> int:
    """Multiply-adds of one sample's forward pass through the network ``train.models`` builds from
    ``blocks`` (conv: DCGAN_G / DCGAN_D with the sub-pixel output layer as its 3x3 conv to four
    phases; mlp: dense layers); normalisation and activations are not counted. ValueError when a
    conv network cannot be built for ``image_shape`` (size, size, channels)."""
    kind = blocks["type"]
    width, depth = (blocks.get(k, DEFAULTS[kind][k]) for k in ("width", "depth"))
    pixels = math.prod(image_shape)
    if kind == "mlp":
        fans = [z_dim if net == "generator" else pixels] + [width] * depth + [pixels if net == "generator" else 1]
        return sum(a * b for a, b in itertools.pairwise(fans))
    sizes = conv_sizes(image_shape[0], bool(blocks.get("from_4x4", False)))  # smallest first
    kernel, constant, channels = blocks.get("kernel_size", 4) ** 2, bool(blocks.get("constant_width")), image_shape[2]
    half = sizes[-2] ** 2  # the extra 3x3 layers run at half the image size
    if net == "generator":
        wide = width if constant else width * 2 ** (len(sizes) - 2)
        macs = z_dim * sizes[0] ** 2 * wide  # the dense layer to start x start
        for side in sizes[:-2]:  # each stride-2 transposed conv: input pixels x taps x in x out
            narrow = wide if constant else wide // 2
            macs, wide = macs + side * side * kernel * wide * narrow, narrow
        last = 9 * 4 if kernel == 16 else kernel  # SubPixelConv2DTranspose: 3x3 to 4 phases
        return macs + depth * half * 9 * width * width + half * last * width * channels
    macs = half * kernel * channels * width + depth * half * 9 * width * width
    wide = width
    for side in reversed(sizes[:-2]):  # each stride-2 conv, output pixels x taps x in x out
        doubled = wide if constant else 2 * wide
        macs, wide = macs + side * side * kernel * wide * doubled, doubled
    return macs + sizes[0] ** 2 * wide  # the last dense layer to one value


def cost(architecture: Mapping, image_shape: Sequence[int] = (28, 28, 1), z_dim: int = 100) -> float:
    """The redraw rule's cost, in ``COST_UNIT``: a WGAN iteration is mostly critic steps, each a
    generator forward and the critic's forward and backward on real and fake samples."""
    generator = architecture["generator"]
    z = generator.get("z_dim") or z_dim
    macs = forward_macs("generator", generator, image_shape, z) + CRITIC_WEIGHT * forward_macs(
        "critic", architecture["critic"], image_shape, z
    )
    return macs / 1e6


def passes(architecture: Mapping, max_cost: float | None, image_shapes: Iterable[Sequence[int]], z_dim: int) -> bool:
    """Whether the redraw rule keeps a draw: buildable for every image shape, and at most
    ``max_cost`` (None: no cap) on each."""
    try:
        costs = [cost(architecture, shape, z_dim) for shape in image_shapes]
    except ValueError:  # a conv network that cannot be built for these images
        return False
    return max_cost is None or all(c <= max_cost for c in costs)


def draw_kept(
    robustness: Mapping, index: int, image_shapes: Iterable[Sequence[int]] = ((28, 28, 1),), z_dim: int = 100
) -> tuple[dict, int]:
    """Architecture ``index`` after the redraw rule, and the attempt that passed (0: the first
    draw). ValueError when none of ``MAX_ATTEMPTS`` passes."""
    shapes = [tuple(s) for s in image_shapes]
    for attempt in range(MAX_ATTEMPTS):
        drawn = draw(robustness["space"], robustness["seed"], index, attempt)
        if passes(drawn, robustness.get("max_cost"), shapes, z_dim):
            return drawn, attempt
    raise ValueError(
        f"no draw of {name(index)} in {MAX_ATTEMPTS} attempts can be built for images {shapes} "
        f"at a cost of at most max_cost {robustness.get('max_cost')} ({COST_UNIT}); raise it or narrow the space"
    )


def draw_all(
    robustness: Mapping, image_shapes: Iterable[Sequence[int]] = ((28, 28, 1),), z_dim: int = 100
) -> dict[str, dict]:
    """Every random architecture of the config's ``robustness`` section, by name, each the first
    draw the redraw rule keeps for the grid's image shapes."""
    shapes = [tuple(s) for s in image_shapes]
    return {name(i): draw_kept(robustness, i, shapes, z_dim)[0] for i in range(robustness["architectures"])}


def attempt_of(robustness: Mapping, architecture_name: str, definition: Mapping) -> int | None:
    """Which attempt of the redraw rule a (filled-in) definition is; None when none is."""
    index = int(architecture_name.removeprefix(PREFIX))
    for attempt in range(MAX_ATTEMPTS):
        if same_blocks(definition, draw(robustness["space"], robustness["seed"], index, attempt)):
            return attempt
    return None


def is_random(architecture: Any) -> bool:
    return isinstance(architecture, str) and architecture.startswith(PREFIX)


def same_blocks(given: Any, drawn: dict) -> bool:
    """Whether a definition is the drawn one, with defaults filled in (a config validated twice)."""
    return isinstance(given, dict) and all(
        isinstance(given.get(net), dict) and all(given[net].get(k) == v for k, v in drawn[net].items()) for net in drawn
    )
