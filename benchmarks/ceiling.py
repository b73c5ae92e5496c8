"""Scale ceiling: the largest registrations count the examkit analytics + fees handle within a memory budget.

Peak RSS is measured (fresh process each) at increasing sizes, starting from a linear estimate
through the analytics measurements; the largest size measured under the budget is the ceiling.
That size is then re-run with the process's address space capped at the budget (RLIMIT_AS,
where the OS has it) to confirm it completes with no more memory than that.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.measure import run_child
from benchmarks.synth import generate

START = 1_000_000  # first size tried when nothing is known yet


def _step(n: int) -> int:
    """The grid sizes are rounded to: 5 in the third significant digit (1,850,000; 185,000)."""
    return max(1_000, 5 * 10 ** max(0, len(str(max(n, 1))) - 3))


def _round(n: int) -> int:
    step = _step(n)
    return max(step, n // step * step)


def _estimate(points: list[tuple[int, int]], budget: int) -> int | None:
    """Size where a straight line through the two largest (size, peak) points reaches ``budget``."""
    pts = sorted(points)[-2:]
    if len(pts) < 2 or pts[1][0] == pts[0][0]:
        return None
    (n1, p1), (n2, p2) = pts
    slope = (p2 - p1) / (n2 - n1)
    if slope <= 0:
        return None
    return int(n2 + (budget - p2) / slope)


def _measure(work: Path, n: int, rlimit_as: int | None = None) -> dict:
    data = work / f"n{n}"
    shutil.rmtree(data, ignore_errors=True)
    generate(data, n)
    s = run_child("examkit", {"data": str(data)}, rlimit_as=rlimit_as)
    shutil.rmtree(data, ignore_errors=True)
    return {"size": n, "peak_rss": s.peak_rss, "seconds": s.seconds if s.ok else None, "ok": s.ok, "error": s.error}


def search(work: Path, known: list[tuple[int, int, float]], budget: int, steps: int = 3, log=print) -> dict:
    """Measure at up to ``steps`` sizes near the estimated ceiling, then confirm under an address-space cap."""
    points: list[dict] = [
        {"size": n, "peak_rss": p, "seconds": sec, "ok": True, "source": "analytics"} for n, p, sec in known
    ]
    under = [n for n, p, _ in known if p < budget]
    over = [n for n, p, _ in known if p >= budget]
    for _ in range(steps):
        lo, hi = max(under, default=0), min(over, default=None)
        est = _estimate([(d["size"], d["peak_rss"]) for d in points if d["ok"] and d["peak_rss"]], budget)
        if hi is None:
            target = _round(max(int((est or max(lo * 2, START)) * 0.97), int(lo * 1.1)))
        else:
            if hi - lo <= 2 * _step(lo):
                break
            guess = int(est * 0.97) if est is not None and lo < est < hi else (lo + hi) // 2
            target = _round(min(max(guess, lo + _step(lo)), hi - _step(lo)))
        measured = {d["size"] for d in points}
        while target in measured:
            target += _step(target)
        p = _measure(work, target)
        p["source"] = "ceiling"
        points.append(p)
        log(
            f"  ceiling n={target:>10,}: "
            + (f"{p['peak_rss'] / 2**20:.0f} MiB, {p['seconds']:.1f}s" if p["ok"] else str(p["error"]))
        )
        (under if p["ok"] and p["peak_rss"] and p["peak_rss"] < budget else over).append(target)
    best = max(under, default=None)
    capped: list[dict] = []
    size = best
    for _ in range(2):  # the address-space cap is stricter than RSS: step down until a run completes under it
        if not size:
            break
        c = _measure(work, size, rlimit_as=budget)
        capped.append(c)
        log(f"  ceiling n={size:>10,} under RLIMIT_AS: " + ("completed" if c["ok"] else f"failed: {c['error']}"))
        if c["ok"]:
            break
        size = _round(int(size * 0.8))
    return {
        "budget": budget,
        "points": sorted(points, key=lambda d: d["size"]),
        "ceiling": best,
        "first_over": min(over, default=None),
        "estimate": _estimate([(d["size"], d["peak_rss"]) for d in points if d["ok"] and d["peak_rss"]], budget),
        "capped": capped,
    }
