"""Sum Snakemake's benchmark files (benchmarks/{rule}/...tsv) by rule: jobs, wall seconds (`s`) and
`cpu_time`. Standard library only. Usage: python docs/evidence/sum_benchmarks.py benchmarks/"""

import csv
import sys
from collections import defaultdict
from pathlib import Path


def by_rule(root: Path) -> dict[str, list[float]]:
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for path in sorted(root.rglob("*.tsv")):
        with open(path, newline="") as stream:
            row = next(csv.DictReader(stream, delimiter="\t"))
        total = sums[path.relative_to(root).parts[0]]
        total[0] += 1
        total[1] += float(row["s"])
        total[2] += float(row["cpu_time"]) if row["cpu_time"] not in ("", "NA") else 0.0
    return dict(sums)


if __name__ == "__main__":
    sums = by_rule(Path(sys.argv[1]))
    print("| rule | jobs | s | cpu_time |\n|---|---:|---:|---:|")
    for rule, (n, s, cpu) in sorted(sums.items(), key=lambda item: -item[1][1]):
        print(f"| {rule} | {n} | {s:.1f} | {cpu:.1f} |")
    n, s, cpu = (sum(column) for column in zip(*sums.values(), strict=True))
    print(f"| total | {n} | {s:.1f} ({s / 60:.2f} min) | {cpu:.1f} ({cpu / 60:.2f} min) |")
