"""The budgets of a comparison: the generator iterations its runs trained, said beside the numbers
compared, so that a 1,000-iteration FID is not read against a 5,000-iteration one unawares. One
place for the summary figure, the random-architecture figure and the summary's literature table.
No TensorFlow."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from wganlib.measures.convergence import as_float, diverged

# More architectures than this with a budget of their own: the model's range instead of each.
MAX_NAMED = 2


def iterations(rows: Sequence[Mapping]) -> list[int]:
    """The generator iterations ``rows`` trained, each count once, in order. A diverged run is
    left out: where it stopped is no budget."""
    counts = {as_float(r.get("generator_iterations")) for r in rows if not diverged(r)}
    return sorted(int(n) for n in counts if not math.isnan(n))


def say(counts: Sequence[int]) -> str:
    """'1,000', '600–1,200' (the least and the most of ``counts``), or '' for none."""
    return "–".join(dict.fromkeys(f"{n:,}" for n in (min(counts), max(counts)))) if counts else ""


def span(rows: Sequence[Mapping]) -> str:
    """What ``rows`` trained, as ``say`` says it."""
    return say(iterations(rows))


def differ(rows: Sequence[Mapping]) -> bool:
    """Whether ``rows`` (the runs of one comparison) trained for different budgets."""
    return len(iterations(rows)) > 1


def by_model(rows: Sequence[Mapping], models: Sequence[str], architectures: Sequence[str]) -> dict[str, str]:
    """Per model of ``rows``, its budget as the figures' legends say it: '5,000 iters', or with the
    architectures that trained for another named, '4,000 iters; conv-bn-first 1,500' (more than
    MAX_NAMED of them: the model's range). A model without a count is left out."""
    labels = {}
    for model in models:
        of_model = [r for r in rows if r.get("model") == model]
        groups = {a: span([r for r in of_model if r.get("architecture") == a]) for a in architectures}
        groups = {a: s for a, s in groups.items() if s}
        if not groups:
            continue
        usual = Counter(groups.values()).most_common(1)[0][0]  # a tie: the first architecture's
        others = [f"{a} {s}" for a, s in groups.items() if s != usual]
        if len(others) > MAX_NAMED:
            shown = [r for r in of_model if r.get("architecture") in groups]
            labels[model] = f"{span(shown)} iters by architecture"
        else:
            labels[model] = "; ".join([f"{usual} iters", *others])
    return labels
