"""The one entry point: ``python -m benchmarks.run [--sizes 10000,100000,1000000] [--quick]``.

Generates synthetic years, measures every target of issue 14 (each in fresh processes, medians of
several runs) and writes ``benchmarks/RESULTS.md`` (``--quick``: the smallest size once, written to
the work folder unless ``--out`` says otherwise). ``make test``'s time comes from a saved log
(``--pytest-log``); ``--render results.json`` only rewrites the page (with ``--pytest-log``, adds it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine
from benchmarks.measure import ROOT, interleaved, run_child

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SECTIONS = ("analytics", "notebooks", "size", "grading", "ceiling", "lan")
TASKS = ("floor", "pandas", "examkit", "examkit_warm")
GIB = 2**30


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None, help="comma list of registrations counts (default 10000,100000,1000000)")
    p.add_argument("--quick", action="store_true", help="smallest size once, small notebook/grading runs, no ceiling")
    p.add_argument("--repeats", type=int, default=None, help="runs per figure (default 3; --quick 1)")
    p.add_argument("--largest-repeats", type=int, default=None, help="runs at the largest size (default: --repeats)")
    p.add_argument("--year-repeats", type=int, default=None, help="runs of the demo year (default: --repeats)")
    p.add_argument("--no-fresh-year", action="store_true", help="skip the reference year with --fresh-kernels")
    p.add_argument("--only", default=None, help=f"comma list of sections ({','.join(SECTIONS)})")
    p.add_argument("--out", default=None, help="RESULTS.md path (default benchmarks/RESULTS.md; --quick: WORK)")
    p.add_argument("--work", default=None, help="scratch folder (default: a new temporary folder, removed after)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    p.add_argument("--budget-gib", type=float, default=2.0, help="memory budget of the scale ceiling (GiB)")
    p.add_argument("--render", default=None, help="only rewrite --out from an earlier run's results.json")
    p.add_argument("--pytest-log", default=None, help="saved output of `make test`: its time and counts as a target")
    return p.parse_args(argv)


def analytics(work: Path, sizes: list[int], repeats: int, quick: bool, largest_repeats: int | None = None) -> dict:
    from benchmarks.synth import generate

    out: dict = {"sizes": {}, "profile": None}
    for n in sizes:
        data = work / f"year-{n}"
        shutil.rmtree(data, ignore_errors=True)
        start = time.perf_counter()
        year = generate(data, n)
        gen = time.perf_counter() - start
        files = sum(f.stat().st_size for f in data.rglob("*.csv"))
        _log(f"  generated {n:,} registrations in {gen:.1f}s ({files / 2**20:.0f} MiB of csv)")
        entry: dict = {"generate_seconds": gen, "csv_bytes": files, "truth": year.truth, "tasks": {}}
        runs = largest_repeats if n == max(sizes) and largest_repeats else repeats
        for task, m in interleaved(TASKS, data, n, runs, log=_log).items():
            entry["tasks"][task] = m.to_json()
        out["sizes"][n] = entry
        if n == max(sizes) and not quick:
            for side in ("cold", "warm"):  # warm reads the store the cold profile run just filled
                _log(f"  profiling examkit ({side}) at {n:,} (cProfile, one extra run)")
                prof = run_child("profile", {"data": str(data), "store": side})
                out["profile" if side == "cold" else "profile_warm"] = {
                    "size": n,
                    "side": side,
                    "ok": prof.ok,
                    "error": prof.error,
                    **prof.result,
                    "stages": prof.stages,
                    "seconds": prof.seconds,
                }
        if n != max(sizes):
            shutil.rmtree(data, ignore_errors=True)
    return out


def pytest_figure(path: str) -> dict:
    """The ``make test`` figure of a saved log, or why it could not be read."""
    from benchmarks import pytest_log

    try:
        return pytest_log.parse(path)
    except (OSError, ValueError) as exc:
        return {"file": path, "error": str(exc)}


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if a.render:
        from benchmarks.report import write

        out = Path(a.out) if a.out else ROOT / "benchmarks" / "RESULTS.md"
        res = json.loads(Path(a.render).read_text(encoding="utf-8"))
        if a.pytest_log:
            res["pytest"] = pytest_figure(a.pytest_log)
            Path(a.render).write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        write(res, out)
        _log(f"wrote {out}")
        return 0
    sizes = sorted(int(s.replace("_", "")) for s in a.sizes.split(",")) if a.sizes else list(DEFAULT_SIZES)
    if a.quick:
        sizes = sizes[:1]
    repeats = a.repeats or (1 if a.quick else 3)
    sections = [s.strip() for s in a.only.split(",")] if a.only else list(SECTIONS)
    if a.quick and "ceiling" in sections and not a.only:
        sections.remove("ceiling")
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        _log(f"unknown section(s): {', '.join(bad)}; choose from {', '.join(SECTIONS)}")
        return 2
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="examkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out_path = Path(a.out) if a.out else (work / "RESULTS.md" if a.quick else ROOT / "benchmarks" / "RESULTS.md")
    results: dict = {
        "machine": machine.describe(ROOT),
        "config": {
            "sizes": sizes,
            "repeats": repeats,
            "quick": a.quick,
            "sections": sections,
            "largest_repeats": a.largest_repeats,
            "year_repeats": a.year_repeats or repeats,
            "budget": int(a.budget_gib * GIB),
        },
    }
    if a.pytest_log:
        results["pytest"] = pytest_figure(a.pytest_log)
        _log("make test (from the log): " + results["pytest"].get("line", results["pytest"].get("error", "")))
    started = time.perf_counter()
    _log(f"benchmarks → {out_path} (scratch {work})")
    try:
        if "analytics" in sections:
            _log("1. analytics + fee reconciliation")
            results["analytics"] = analytics(work / "analytics", sizes, repeats, a.quick, a.largest_repeats)
        if "notebooks" in sections:
            from benchmarks import notebooks

            _log("2. the demo year")
            results["notebooks"] = notebooks.measure(
                work / "notebooks", a.year_repeats or repeats, fresh=not (a.quick or a.no_fresh_year), log=_log
            )
        if "size" in sections:
            from benchmarks import report_size

            _log("3. report size")
            results["size"] = report_size.measure(
                work / "size", (100, 1_000) if a.quick else (100, 1_000, 10_000, 100_000), log=_log
            )
        if "grading" in sections:
            _log("4. grading")
            args = {
                "work": str(work / "grading"),
                "candidates": 1000,
                "saves": 100 if a.quick else 1000,
                "form_saves": 20 if a.quick else 200,
                "opens": 2 if a.quick else 5,
            }
            s = run_child("grading", args)
            results["grading"] = {"ok": s.ok, "error": s.error, "peak_rss": s.peak_rss, **s.result, "stages": s.stages}
            _log("  grading: " + (f"save median {s.result['save_median_ms']:.2f} ms" if s.ok else str(s.error)))
        if "lan" in sections:
            from benchmarks import lan_bench

            _log("6. grading in the exam room (LAN page)")
            results["lan"] = lan_bench.measure(
                work / "lan", graders=2 if a.quick else 8, marks=10 if a.quick else 50, log=_log
            )
            lan = results["lan"]
            _log("  lan: " + (f"p95 {lan['p95_ms']:.0f} ms, lost {lan['lost']}" if lan["ok"] else str(lan["error"])))
        if "ceiling" in sections:
            from benchmarks import ceiling

            _log("5. scale ceiling")
            known = []
            for n, e in (results.get("analytics") or {}).get("sizes", {}).items():
                t = e["tasks"]["examkit"]
                if t["ok"] and t["peak_rss"]:
                    known.append((int(n), int(t["peak_rss"]), t["seconds"]))
            results["ceiling"] = ceiling.search(work / "ceiling", known, results["config"]["budget"], log=_log)
    finally:
        results["machine"]["load_end"] = machine.load_average()
        results["total_seconds"] = time.perf_counter() - started
        from benchmarks.report import write

        write(results, out_path)
        (work / "results.json").write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
        _log(f"wrote {out_path} in {results['total_seconds'] / 60:.1f} min")
        if not a.work and not a.keep and work not in out_path.parents:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
