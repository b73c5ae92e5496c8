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

GRID = 50_000


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


def _round(n: int) -> int:
    return max(GRID, n // GRID * GRID)


def search(work: Path, known: list[tuple[int, int]], budget: int, steps: int = 3, log=print) -> dict:
    """Measure at up to ``steps`` sizes near the estimated ceiling; returns every point and the verdict."""
    points: list[dict] = [{"size": n, "peak_rss": p, "source": "analytics"} for n, p in known]
    under = [n for n, p in known if p < budget]
    over = [n for n, p in known if p >= budget]
    for _ in range(steps):
        lo, hi = max(under, default=0), min(over, default=None)
        est = _estimate([(d["size"], d["peak_rss"]) for d in points if d["peak_rss"]], budget)
        if hi is None:
            target = _round(int((est or lo * 2) * 0.97))
            target = max(target, _round(int(lo * 1.25)))
        else:
            target = _round((lo + hi) // 2 if est is None or not lo < est < hi else int(est * 0.97))
            if hi - lo <= 2 * GRID or target in (lo, hi):
                break
        if any(d["size"] == target for d in points):
            break
        data = work / f"n{target}"
        shutil.rmtree(data, ignore_errors=True)
        generate(data, target)
        s = run_child("examkit", {"data": str(data)})
        shutil.rmtree(data, ignore_errors=True)
        points.append(
            {
                "size": target,
                "peak_rss": s.peak_rss,
                "seconds": s.seconds,
                "ok": s.ok,
                "source": "ceiling",
                "error": s.error,
            }
        )
        log(
            f"  ceiling n={target:>10,}: "
            + (f"{s.peak_rss / 2**20:.0f} MiB, {s.seconds:.1f}s" if s.ok else str(s.error))
        )
        if s.ok and s.peak_rss and s.peak_rss < budget:
            under.append(target)
        else:
            over.append(target)
    best = max(under, default=None)
    confirm = None
    if best:
        data = work / f"n{best}"
        shutil.rmtree(data, ignore_errors=True)
        generate(data, best)
        c = run_child("examkit", {"data": str(data)}, rlimit_as=budget)
        shutil.rmtree(data, ignore_errors=True)
        confirm = {"size": best, "ok": c.ok, "error": c.error, "peak_rss": c.peak_rss, "seconds": c.seconds}
        log(f"  ceiling n={best:>10,} under RLIMIT_AS: " + ("completed" if c.ok else f"failed: {c.error}"))
    return {
        "budget": budget,
        "points": sorted(points, key=lambda d: d["size"]),
        "ceiling": best,
        "first_over": min(over, default=None),
        "estimate": _estimate([(d["size"], d["peak_rss"]) for d in points if d["peak_rss"]], budget),
        "confirm": confirm,
    }
