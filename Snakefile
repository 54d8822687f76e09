# Reproduce the Wasserstein GAN paper's comparisons: GAN (DCGAN), WGAN and WGAN-GP across a grid
# of architectures and seeds. Run: snakemake --cores all   (configure: config/config.yaml)
import sys

from snakemake.utils import min_version

min_version("9.0")

# The package beside the scripts: rules and scripts read the config the same way.
sys.path.insert(0, f"{workflow.basedir}/workflow/scripts")
from wganlib.config import exit_on_bad_yaml

# Says which line is wrong, where Snakemake's YAML error does not, and refuses a key given twice
# (in config/config.yaml and in every --configfile), which Snakemake's reader keeps silently.
exit_on_bad_yaml("config/config.yaml", *workflow.config_settings.configfiles)


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/benchmark.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
