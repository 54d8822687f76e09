"""The paper's figures, redrawn from the workflow's files.

- ``plot_em_estimate``: Fig. 3, the critic's EM estimate against generator iterations, with FID.
- ``plot_js_estimate``: Fig. 4, the same for the standard GAN's JS estimate.
- ``plot_sample_sheet``: Figs. 5-7, final samples, architectures x models.
- ``plot_summary``: final FID and modes covered per architecture and model, every seed a dot
  (in the style of Lucic et al. 2018, "Are GANs Created Equal?").
- ``plot_quality_over_compute``: FID over training against generator iterations, critic updates
  and wall-clock seconds, the three axes on which the models' speed can be compared.
- ``plot_robustness``: the random architectures, each model's FID reached and modes per
  architecture against the levels of success (Gulrajani et al. 2017, Table 2).
- ``plot_success``: the sweep's success table (per architecture, each model) and the final samples
  of the architectures where the models disagree.

Inputs are plain structures (run dicts as made by ``runs.load_run`` with the grid's metadata), so
the figures can be tested on synthetic runs. Matplotlib is used through ``Figure`` objects and
the Agg canvas only: no pyplot, no global state.

The modules: ``common`` (colours, orders, layout helpers, saving), ``estimates`` (Figs. 3-4),
``samples`` (Figs. 5-7), ``summary`` (the summary and robustness figures), ``success`` (the
sweep's success table and its discordant architectures' samples) and ``compute`` (quality over
compute).
"""

from .common import model_colour
from .compute import plot_quality_over_compute
from .compute import quality_over_compute as quality_over_compute  # the series the figure draws
from .estimates import plot_em_estimate, plot_js_estimate
from .samples import plot_sample_sheet
from .success import plot_success
from .summary import plot_robustness, plot_summary

__all__ = [
    "plot_em_estimate",
    "plot_js_estimate",
    "plot_sample_sheet",
    "plot_summary",
    "plot_quality_over_compute",
    "plot_robustness",
    "plot_success",
    "model_colour",
]
