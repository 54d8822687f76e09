"""Documents that cannot drift: every relative link in the README and docs/ reaches a file (and an
#anchor into a Markdown page, one of its headings), and every `snakemake` command the README shows
is one Snakemake accepts, names files that exist, and plans (`snakemake -n`) or is run by a test."""

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT, copy_workflow, snakemake
from snakemake.cli import get_argument_parser

PAGES = [ROOT / "README.md", ROOT / "config" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)

# Commands that need finished results, so no dry run shows them working: the test that runs each.
RUN_BY_TESTS = {"--report": "test_report.py"}


def prose(text: str) -> str:
    """Markdown without its code: fenced blocks and inline code spans."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor; a repeated one is numbered as GitHub numbers it (-1, -2, ...)."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), re.MULTILINE):
        name = slug(heading)
        seen[name] = seen.get(name, -1) + 1
    return {name if n == 0 else f"{name}-{n}" for name, count in seen.items() for n in range(count + 1)}


def relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(prose(page.read_text())) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


def test_anchors_are_github_s():
    assert slug("`model_settings`: hyperparameters per model") == "model_settings-hyperparameters-per-model"
    assert slug("Precision: bfloat16 against float32") == "precision-bfloat16-against-float32"
    assert slug("Is WGAN robust to the architecture?") == "is-wgan-robust-to-the-architecture"


def shown_commands(text: str) -> list[list[str]]:
    """The `snakemake` commands of a page's shell blocks and inline code, as argument lists."""
    lines = []
    for block in FENCE.findall(text):  # each block from its opening fence to its closing one
        head, _, body = block.partition("\n")
        if head.strip("`") in ("", "bash", "sh"):
            lines += body.rsplit("```", 1)[0].replace("\\\n", " ").splitlines()
    lines += re.findall(r"`(snakemake [^`]+)`", FENCE.sub("", text))
    return [shlex.split(line, comments=True) for line in lines if line.startswith("snakemake ")]


README_COMMANDS = shown_commands((ROOT / "README.md").read_text())


def test_the_readme_shows_each_configuration_file_with_its_command():
    shown = {c[c.index("--configfile") + 1] for c in README_COMMANDS if "--configfile" in c}
    assert shown == {f"config/{p.name}" for p in (ROOT / "config").glob("*.yaml")} - {"config/config.yaml"}


@pytest.mark.parametrize("command", README_COMMANDS, ids=shlex.join)
def test_a_shown_command_is_one_snakemake_accepts(command):
    """Parsed by Snakemake's own argument parser; the files it names exist."""
    with contextlib.redirect_stderr(io.StringIO()) as errors:
        try:
            args = get_argument_parser().parse_args(command[1:])
        except SystemExit:
            pytest.fail(errors.getvalue())
    for name in [*(args.configfile or []), *([args.profile] if args.profile else [])]:
        assert (ROOT / name).exists(), name


@pytest.mark.slow
@pytest.mark.parametrize("command", README_COMMANDS, ids=shlex.join)
def test_a_shown_command_plans_or_is_run_by_a_test(command, tmp_path):
    """Planned by `snakemake -n` in a copy of the workflow, or, where it needs finished results,
    run by the test that says so."""
    flags = [flag for flag in RUN_BY_TESTS if flag in command]
    for flag in flags:
        assert f'"{flag}"' in (ROOT / "tests" / RUN_BY_TESTS[flag]).read_text(), flag
    if not flags:
        snakemake(*command[1:], "-n", "--quiet", "rules", cwd=copy_workflow(tmp_path))
