"""``vardterm bench --suite mapping``: the figures of the mapping workbench (issue 21), on the synthetic
``intl+se`` edition (International plus the Swedish extension, generated at ``--scale`` and loaded into SQLite).

* **Suggestion quality**: the labelled set of :mod:`scripts.mapping_labels` (270 Swedish source terms made by
  fixed rules with a fixed seed: exact, upper case, no diacritics, one and two typing errors, word order,
  abbreviation, split compound, synonym), each with the concept it must be mapped to. Top-1 and top-5 accuracy
  overall and per rule; targets top-1 >= 80 %, top-5 >= 95 %. The set is written beside the results as CSV.
* **Suggestion time per row**: the labelled terms asked once each in process, after the suggester is prepared
  (its preparation, which reads the words of the text index once per release, is its own figure). Target p50
  <= 50 ms.
* **A 5,000-row file**: a CSV of 5,000 source rows (the variants of every Swedish concept, repeated) through
  ``Workbench.create``, the same path as ``vardterm map start`` and the web page: file checks, suggestions for
  every row with progress, one transaction. Target <= 120 s.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import statistics
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import terminology as t
from mappings.workbench import Target, Workbench

from . import mapping_labels
from .bench import BenchOptions, Figure, _load_in_child, _p, format_table, git_commit, machine
from .progress import Progress

FILE_ROWS = 5000


def ensure_release_se(opts: BenchOptions) -> list[Path]:
    """The synthetic International release and Swedish extension for ``opts.scale`` (generated once)."""
    from .synth import SynthParams, generate

    target = opts.workdir / f"release-{opts.scale}-{opts.seed}-se"
    stamp = target / ".complete"
    if not stamp.exists():
        shutil.rmtree(target, ignore_errors=True)
        progress = Progress("synth")
        result = generate(target, SynthParams(scale=opts.scale, seed=opts.seed, extension=True, versions=1,
                                              full=False), progress)
        progress.done(f"Generated a {opts.scale} release with the Swedish extension in {target}")
        stamp.write_text(json.dumps({"packages": [str(p.path) for p in result.packages]}))
    return [Path(p) for p in json.loads(stamp.read_text())["packages"]]


def run_mapping(opts: BenchOptions) -> list[Figure]:
    folder = opts.workdir / f"mapping-{opts.scale}"
    url = f"sqlite:///{folder / 'vardterm.db'}"
    figures: list[Figure] = []
    if opts.load or not (folder / "vardterm.db").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        seconds, _ = _load_in_child(url, ensure_release_se(opts))
        figures.append(Figure("load_intl_se_sqlite", round(seconds, 1), "s", "", f"scale {opts.scale}"))
    db = t.Database(url)
    db.initialise()
    service = t.TerminologyService(db, refresh_seconds=0)
    labels = mapping_labels.make(service.edition())
    opts.out.mkdir(parents=True, exist_ok=True)
    _write_labels(labels, opts.out / f"mapping-labels-{opts.scale}.csv")
    t0 = time.perf_counter()
    suggester = service.suggester(t.SuggestTarget())
    figures.append(Figure("suggester_prepare", round(time.perf_counter() - t0, 2), "s", "",
                          "reads the words of the text index once per release"))
    figures += _quality(suggester, labels)
    figures += _file(service, db, labels)
    _report(figures, opts)
    return figures


def _quality(suggester: t.Suggester, labels: list[mapping_labels.Label]) -> list[Figure]:
    rules: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    times = []
    for label in labels:
        t0 = time.perf_counter()
        found = [s.code for s in suggester.suggest(label.term, count=5)]
        times.append((time.perf_counter() - t0) * 1000)
        tally = rules[label.rule]
        tally[0] += 1
        tally[1] += found[:1] == [label.expected]
        tally[2] += label.expected in found
    n = len(labels)
    top1 = sum(v[1] for v in rules.values()) / n
    top5 = sum(v[2] for v in rules.values()) / n
    per_rule = ", ".join(f"{rule} {v[1]}/{v[0]}" for rule, v in rules.items())
    return [Figure("labelled_top1", round(100 * top1, 1), "%", ">= 80 %", f"{n} labelled terms; top-1 per rule: "
                   f"{per_rule}"),
            Figure("labelled_top5", round(100 * top5, 1), "%", ">= 95 %", ", ".join(
                f"{rule} {v[2]}/{v[0]}" for rule, v in rules.items())),
            Figure("suggest_row_p50", round(statistics.median(times), 2), "ms", "<= 50 ms", "in process, top 5"),
            Figure("suggest_row_p95", round(_p(times, 0.95), 2), "ms", "", "")]


def _file(service, db, labels) -> list[Figure]:
    pool = [lb.term for lb in mapping_labels.make(service.edition(), count=FILE_ROWS, seed=mapping_labels.SEED + 1)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["kod", "term", "verksamhet"])
    for i in range(FILE_ROWS):
        writer.writerow([f"R{i + 1:05d}", pool[i % len(pool)], "bench"])
    data = out.getvalue().encode()
    wb = Workbench(service, t.Authoring(service))
    progress = Progress("förslag")
    who = t.Principal("bench", frozenset({"informatiker"}), None, "cli")
    t0 = time.perf_counter()
    pid = wb.create(title="Bench 5000", source_system="https://bench.example/tjanster", target=Target(), data=data,
                    file="bench.csv", by=who, progress=lambda done, total: progress("rader", done, total))
    seconds = time.perf_counter() - t0
    progress.done(f"{FILE_ROWS} rader på {seconds:.1f} s")
    rows = wb.rows(pid)
    with_suggestion = sum(1 for r in rows if r["suggestions"])
    return [Figure("file_5000_rows", round(seconds, 1), "s", "<= 120 s",
                   f"{len(rows)} rows stored, {with_suggestion} with suggestions; "
                   f"{len(set(pool))} distinct terms repeated")]


def _write_labels(labels, path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["term", "förväntad", "regel", "från"])
    for lb in labels:
        writer.writerow([lb.term, lb.expected, lb.rule, lb.source])
    path.write_text(out.getvalue(), encoding="utf-8")


def _report(figures: list[Figure], opts: BenchOptions) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = opts.out / f"bench-mapping-{opts.scale}-{stamp}.json"
    load = None
    try:
        load = Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        pass
    path.write_text(json.dumps({"suite": "mapping", "scale": str(opts.scale), "machine": machine(),
                                "load_average": load, "commit": git_commit(), "taken": stamp,
                                "figures": [asdict(f) for f in figures]}, indent=2, ensure_ascii=False))
    print(format_table(figures))
    print(f"\nLoad average {load}. Written to {path}")
