"""One measured task in a fresh process: ``python -m benchmarks.child TASK JSON_ARGS``.

Prints one JSON line: the task's work time (after its imports), its stage times, its
result summary (to cross-check the sides) and the process's peak RSS.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import traceback
from pathlib import Path


def peak_rss_bytes() -> int | None:
    """This process's peak resident set size (Linux /proc, else getrusage, else psutil)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except ImportError:
        pass
    try:
        import psutil

        return int(getattr(psutil.Process().memory_info(), "peak_wset", 0)) or None
    except ImportError:
        return None


def peak_virtual_bytes() -> int | None:
    """This process's peak virtual memory (Linux only): what an address-space cap (RLIMIT_AS) counts."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


STORE = ".store"  # the input store of a generated year, inside its data folder


def store_of(data: str | Path) -> Path:
    """Where the examkit tasks keep the input store of the year in ``data``."""
    return Path(data) / STORE


def empty_store(data: str | Path) -> Path:
    """The year's store folder, removed (untimed, before the work): what a first run finds."""
    root = store_of(data)
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        raise RuntimeError(f"could not empty the input store {root}")
    return root


def _analytics(module: str, store: str | None = None):
    """A task of one side; ``store``: ``cold`` empties the year's input store first, ``warm`` reads it as it is."""

    def task(args: dict, stages: dict[str, float]) -> dict:
        import importlib

        from benchmarks.synth import load_year

        mod = importlib.import_module(f"benchmarks.{module}")
        year = load_year(args["data"])
        if hasattr(mod, "warm_imports"):
            mod.warm_imports()
        if store is None:
            stages["_start"] = time.perf_counter()
            return mod.run(year)
        root = empty_store(args["data"]) if store == "cold" else store_of(args["data"])
        stages["_start"] = time.perf_counter()
        result = mod.run(year, stages, root)
        if store == "warm" and result["store"]["builds"]:
            raise RuntimeError(f"warm run found the store incomplete: {result['store']}")
        return result

    return task


def _grading(args: dict, stages: dict[str, float]) -> dict:
    from benchmarks import grading_bench

    return grading_bench.run(args, stages)


def _profile(args: dict, stages: dict[str, float]) -> dict:
    """The examkit pipeline under cProfile, cold (an empty input store; ``args["store"] == "warm"``: the store as
    an earlier run left it): where its time goes, by examkit function."""
    import cProfile
    import pstats

    from benchmarks import ekit
    from benchmarks.synth import load_year

    year = load_year(args["data"])
    ekit.warm_imports()
    root = store_of(args["data"]) if args.get("store") == "warm" else empty_store(args["data"])
    stages["_start"] = time.perf_counter()
    prof = cProfile.Profile()
    prof.enable()
    got = ekit.run(year, stages, root, check=False)
    prof.disable()
    st = pstats.Stats(prof).stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    rows = []
    collect = {"calls": 0, "seconds": 0.0}
    yaml = {"calls": 0, "seconds": 0.0}
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.items():
        norm = file.replace("\\", "/")
        if "/examkit/" in norm and "/site-packages/" not in norm:
            rows.append({"function": f"{norm.split('/examkit/')[-1]}:{line}({func})", "calls": nc, "cumulative": ct})
        if file == "~" and func == "<method 'collect' of 'builtins.PyLazyFrame' objects>":
            collect["calls"] += nc
            collect["seconds"] += tt
        if (func == "safe_load" and "yaml" in norm) or (func == "parse_yaml" and norm.endswith("/yamltext.py")):
            yaml["calls"] += nc
            yaml["seconds"] += ct
    rows.sort(key=lambda r: -r["cumulative"])
    return {"top": rows[: int(args.get("top", 25))], "collect": collect, "yaml": yaml, "store": got["store"]}


TASKS = {
    "floor": _analytics("floor"),
    "pandas": _analytics("baseline_pandas"),
    "examkit": _analytics("ekit", "cold"),
    "examkit_warm": _analytics("ekit", "warm"),
    "grading": _grading,
    "profile": _profile,
}


def main() -> None:
    name, args = sys.argv[1], json.loads(sys.argv[2])
    t_import = time.perf_counter()
    out: dict = {"task": name}
    stages: dict[str, float] = {}
    try:
        result = TASKS[name](args, stages)
        end = stages.pop("_end", time.perf_counter())
        start = stages.pop("_start", t_import)
        out["import_seconds"] = start - t_import
        out["seconds"] = end - start
        out["stages"] = stages
        out["result"] = result
        out["ok"] = True
    except Exception as exc:
        out["ok"] = False
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc()[-4000:]
    out["peak_rss"] = peak_rss_bytes()
    out["peak_vm"] = peak_virtual_bytes()
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
