"""Random architectures, the experiment of Gulrajani et al. 2017 (Sec. 5.1, Table 2): which
method trains on which of many architectures drawn at random. Here they are drawn; which method
succeeded on them is ``wganlib.verdicts.robustness``'s.

``robustness.architectures`` architectures (the config's count) are drawn from
``robustness.space`` (choices per block key of the generator and the critic), named ``rand-00``,
``rand-01``, ..., and join the grid as ordinary architectures. Each choice depends only on the
seed, the architecture's index and the key, so a larger count adds architectures and leaves the
earlier ones as they were. No TensorFlow.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

PREFIX = "rand-"


def _choice(options: Sequence[Any], *key: Any) -> Any:
    """One of ``options``, uniformly, as a function of ``key`` only (stable across versions of
    Python and NumPy, unlike their generators' streams)."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def name(index: int) -> str:
    return f"{PREFIX}{index:02d}"


def draw(space: Mapping, seed: int, index: int) -> dict:
    """Architecture ``index`` under ``seed``: {generator: {type, ...}, critic: {type, ...}}, one
    choice per key of ``space[net][type]``."""
    architecture = {}
    for net in ("generator", "critic"):
        kind = _choice(space[net]["type"], seed, index, net, "type")
        blocks = {"type": kind}
        for key, options in sorted(space[net].get(kind, {}).items()):
            blocks[key] = _choice(options, seed, index, net, kind, key)
        architecture[net] = blocks
    return architecture


def draw_all(robustness: Mapping) -> dict[str, dict]:
    """Every random architecture of the config's ``robustness`` section, by name."""
    return {name(i): draw(robustness["space"], robustness["seed"], i) for i in range(robustness["architectures"])}


def is_random(architecture: Any) -> bool:
    return isinstance(architecture, str) and architecture.startswith(PREFIX)


def same_blocks(given: Any, drawn: dict) -> bool:
    """Whether a definition is the drawn one, with defaults filled in (a config validated twice)."""
    return isinstance(given, dict) and all(
        isinstance(given.get(net), dict) and all(given[net].get(k) == v for k, v in drawn[net].items()) for net in drawn
    )
