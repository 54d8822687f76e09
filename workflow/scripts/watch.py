"""Watch the training runs of a results folder (`make watch`): one line per run, with its
generator iteration, its latest FID (a monitored run's) or its critic's estimate, and the time it
has left, redrawn every few seconds until Ctrl-C. It reads the progress.json that each training job
keeps in its train_state/ folder wherever it runs, so it shows the runs of `snakemake --profile
profiles/slurm` as well as local ones, from another terminal or the same one.

    python workflow/scripts/watch.py                                   # results/ (the default run)
    python workflow/scripts/watch.py --configfile config/study.yaml    # that file's results folder
    python workflow/scripts/watch.py --results results-study --once    # print once and stop
"""

import argparse
import sys
import time
from pathlib import Path

from wganlib.plan.config import ConfigError, read_yaml
from wganlib.plan.layout import DEFAULT
from wganlib.train.progress import STATUS_FILE, duration, line, read_status

STALE_S = 600  # a run in training whose progress has not changed for this long has stopped, or hangs
FINISHED_SHOWN = 5  # the latest finished runs shown under those in training (--all: every one)


def view(results: Path, now: float, every_finished: bool = False) -> list[str]:
    """The lines of one screen: runs in training, then the latest finished ones, then a count."""
    records = [r for p in sorted(results.glob(f"*/*/train_state/{STATUS_FILE}")) if (r := read_status(p))]
    training = [r for r in records if r["state"] == "training"]
    finished = sorted((r for r in records if r["state"] != "training"), key=lambda r: r["updated"], reverse=True)
    lines = []
    for record in training:
        quiet = now - record["updated"]
        lines.append(line(record, now) + (f" (no news for {duration(quiet)}: stopped?)" if quiet > STALE_S else ""))
    lines += [line(r) for r in finished[: None if every_finished else FINISHED_SHOWN]]
    more = len(finished) - FINISHED_SHOWN
    lines.append(
        f"{results}/: {len(training)} training, {len(finished)} finished"
        + (f" ({more} more not shown: --all)" if more > 0 and not every_finished else "")
        + ("" if records else " (no training job has reported yet)")
    )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--results", help=f"the results folder (default: {DEFAULT}, or the config file's)")
    where.add_argument("--configfile", help="the config file whose runs to watch (its `results` key)")
    parser.add_argument("--once", action="store_true", help="print once and stop (also when not on a terminal)")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between redraws (default 5)")
    parser.add_argument("--all", action="store_true", help="every finished run, not only the latest")
    args = parser.parse_args(argv)
    results = args.results
    if args.configfile:
        try:
            results = read_yaml(args.configfile).get("results") or DEFAULT
        except ConfigError as err:
            sys.exit(f"error: {err}")
    results = Path(results or DEFAULT)
    if args.once or not sys.stdout.isatty():
        print("\n".join(view(results, time.time(), args.all)))
        return
    try:
        while True:
            screen = view(results, time.time(), args.all)
            print("\033[H\033[J" + time.strftime("%H:%M:%S") + "  (Ctrl-C to stop)\n" + "\n".join(screen), flush=True)
            time.sleep(args.every)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
