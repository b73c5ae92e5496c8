"""Grading in the exam room: N graders at once through the ``examkit grade --lan`` page, on loopback.

``examkit grade --lan --host 127.0.0.1`` serves one batch; headless Chromium (Debian's, through
Playwright's async API) opens one browser context per grader with that grader's link, and every
grader saves ``marks`` marks into the same batch, each on her own candidates, typing a mark and
pressing Enter, then waiting until the page shows "saved" beside that mark (save-to-confirmation
latency). At the end all graders type the same mark of one shared candidate that they all loaded
before anyone saved it: one save lands, every other one must be refused and shown as a conflict.
The gradebook is then read back: every mark with its value and the grader of its token.
Memory: RSS of the examkit process (the LAN proxy), of Voilà and of each page's kernel, sampled.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.measure import percentile

BATCH = "2023-01"
CHROMIUM = os.environ.get("EXAMKIT_CHROMIUM", "/usr/bin/chromium")
MIB = 2**20


def _project(work: Path, graders: list[str], per_grader: int) -> tuple[Path, Path, list[str]]:
    import polars as pl

    from examkit.store.gradebook import Gradebook

    params = work / "params"
    params.mkdir(parents=True, exist_ok=True)
    gradebook = work / "gradebook.sqlite"
    for p in work.glob("gradebook*"):
        p.unlink()
    (params / f"{BATCH}.yaml").write_text(
        f'batch: "{BATCH}"\nlang: zh\ngradebook: {gradebook.as_posix()}\n', encoding="utf-8"
    )
    n = len(graders) * per_grader + 1
    cands = [f"2301{i:05d}" for i in range(1, n + 1)]
    regs = pl.DataFrame({"batch": [BATCH] * n, "candidate_no": cands, "name": [f"考生{i}" for i in range(n)]})
    with Gradebook(gradebook) as gb:
        gb.register(regs.with_columns(pl.lit("junior").alias("level")))
    (work / "graders.txt").write_text("\n".join(graders) + "\n", encoding="utf-8")
    return params, gradebook, cands


def _rss_tree(pid: int) -> dict[str, int]:
    """RSS of the examkit process (proxy), Voilà, and the sum of the kernels."""
    import psutil

    out = {"proxy": 0, "voila": 0, "kernels": 0, "kernel_count": 0}
    try:
        root = psutil.Process(pid)
        out["proxy"] = root.memory_info().rss
        for child in root.children(recursive=True):
            cmd = " ".join(child.cmdline())
            if "ipykernel" in cmd:
                out["kernels"] += child.memory_info().rss
                out["kernel_count"] += 1
            elif "voila" in cmd:
                out["voila"] += child.memory_info().rss
    except psutil.Error:
        pass
    return out


async def _grader(
    browser, url: str, name: str, index: int, cands: list[str], items: list, marks: int, shared: str, gate
) -> dict:
    from examkit.core.i18n import t

    saved = t("grading.saved", "zh", time="").strip()
    ctx = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = await ctx.new_page()
    page.set_default_timeout(120_000)
    opened, reloads = time.perf_counter(), 0
    await page.goto(url, timeout=600_000)  # all kernels start at once: minutes on a busy 2-core machine
    while True:
        try:
            await page.wait_for_selector(".examkit-grading .examkit-mark input", timeout=240_000)
            break
        except Exception:
            if reloads == 2:
                raise
            reloads += 1  # what a teacher does with a page that stays blank: reload it (counted, reported)
            await page.reload(timeout=600_000)
    opened = time.perf_counter() - opened
    search = page.get_by_placeholder(t("grading.search_placeholder", "zh"))

    async def pick(cand: str) -> None:
        await search.fill(cand)
        await search.press("Enter")
        await page.locator(".widget-dropdown select option:checked", has_text=cand).wait_for(state="attached")

    async def type_mark(item, value: str) -> float:
        row = page.locator(".examkit-grading .widget-hbox").filter(
            has=page.locator(".examkit-mark", has_text=item.name_zh)
        )
        box = page.locator(".examkit-mark", has_text=item.name_zh).locator("input")
        await box.fill(value)
        start = time.perf_counter()
        await box.press("Enter")
        await row.get_by_text(saved).or_(row.locator("span[style*='b00020']")).first.wait_for()
        return time.perf_counter() - start

    latencies, expected = [], {}
    done = 0
    for cand in cands:
        if done >= marks:
            break
        await pick(cand)
        for item in items:
            if done >= marks:
                break
            value = f"{min(item.max, 1 + done % int(item.max)):g}"
            latencies.append(await type_mark(item, value))
            expected[(cand, item.id)] = float(value)
            done += 1
    # the conflict: everyone loads the shared candidate, waits for the others, then types the same mark
    await pick(shared)
    await gate()
    await type_mark(items[0], str(index + 1))  # each a different mark: an equal one would be "unchanged"
    row = page.locator(".examkit-grading .widget-hbox").filter(
        has=page.locator(".examkit-mark", has_text=items[0].name_zh)
    )
    refused_shown = await row.locator("span[style*='b00020']").count() > 0
    await ctx.close()
    return {
        "name": name,
        "latencies": latencies,
        "expected": expected,
        "refused_shown": refused_shown,
        "open": opened,
        "reloads": reloads,
    }


async def _drive(links: dict[str, str], assigned: dict[str, list[str]], items: list, marks: int, shared: str) -> list:
    from playwright.async_api import async_playwright

    from examkit.report.render import CHROMIUM_FLAGS

    arrived = 0
    everyone = asyncio.Event()

    async def gate() -> None:
        nonlocal arrived
        arrived += 1
        if arrived == len(links):
            everyone.set()
        await everyone.wait()

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        try:
            return await asyncio.gather(
                *[
                    _grader(browser, url, n, i, assigned[n], items, marks, shared, gate)
                    for i, (n, url) in enumerate(links.items())
                ]
            )
        finally:
            await browser.close()


def measure(work: Path, graders: int = 8, marks: int = 50, log=print) -> dict:
    """Run the exam-room load and return its figures (``ok`` false with ``error`` when it could not run)."""
    import psutil

    from examkit.settings.rubrics import load_rubric
    from examkit.store.gradebook import Gradebook

    if not Path(CHROMIUM).exists():
        return {"ok": False, "error": f"no Chromium at {CHROMIUM} (Debian's chromium package)"}
    work.mkdir(parents=True, exist_ok=True)
    names = [f"评分员{i + 1}" for i in range(graders)]
    items = [i for i in load_rubric("junior").items if not i.auto_scored]
    per_grader = -(-marks // len(items))
    params, gradebook, cands = _project(work, names, per_grader)
    shared = cands[-1]
    assigned = {n: cands[i * per_grader : (i + 1) * per_grader] for i, n in enumerate(names)}
    cmd = [sys.executable, "-m", "examkit", "grade", "--batch", BATCH, "--lan", "--host", "127.0.0.1"]
    cmd += ["--graders", str(work / "graders.txt"), "--params-dir", str(params)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "EXAMKIT_LANG": "zh"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", env=env)
    links: dict[str, str] = {}
    peak = {"proxy": 0, "voila": 0, "kernels": 0, "kernel_count": 0, "total": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            now = _rss_tree(proc.pid)
            now["total"] = now["proxy"] + now["voila"] + now["kernels"]
            if now["total"] > peak["total"]:
                peak.update(now)

    try:
        for line in proc.stdout:
            if m := re.match(r"^(\S+)：(http://127\.0\.0\.1:\d+/\?token=[\w-]+)$", line.strip()):
                links[m.group(1)] = m.group(2)
            if "Ctrl-C" in line:
                break
        if len(links) != graders:
            return {"ok": False, "error": f"examkit grade --lan printed {len(links)} links, not {graders}"}
        time.sleep(1.0)
        idle = _rss_tree(proc.pid)
        log(f"  {graders} graders × {marks} marks through the LAN page")
        threading.Thread(target=sample, daemon=True).start()
        started = time.perf_counter()
        try:
            results = asyncio.run(_drive(links, assigned, items, marks, shared))
        except Exception as exc:  # a page that never became usable: reported, the other sections still written
            return {"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        wall = time.perf_counter() - started
        stop.set()
    finally:
        stop.set()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat = [x for r in results for x in r["latencies"]]
    lost, wrong_grader = 0, 0
    with Gradebook(gradebook) as gb:
        for r in results:
            for (cand, item_id), value in r["expected"].items():
                m = gb.mark(BATCH, cand, item_id)
                lost += m.value != value
                wrong_grader += m.value == value and m.grader != r["name"]
        shared_mark = gb.mark(BATCH, shared, items[0].id)
    refused_shown = sum(r["refused_shown"] for r in results)
    return {
        "ok": True,
        "error": None,
        "graders": graders,
        "marks_per_grader": marks,
        "saves": len(lat),
        "wall_s": wall,
        "p50_ms": percentile(lat, 0.5) * 1000,
        "p95_ms": percentile(lat, 0.95) * 1000,
        "max_ms": max(lat) * 1000,
        "open_max_s": max(r["open"] for r in results),
        "reloads": sum(r["reloads"] for r in results),
        "lost": lost,
        "wrong_grader": wrong_grader,
        "conflict_version": shared_mark.version,
        "conflicts_refused_shown": refused_shown,
        "conflicts_expected": graders - 1,
        "idle": idle,
        "peak": peak,
        "cpus": psutil.cpu_count(),
    }


def section(res: dict) -> list[str]:
    """The ``RESULTS.md`` section."""
    title = "## 7. Grading in the exam room (LAN page, concurrent graders)"
    if not res.get("ok"):
        return [title, "", f"Failed: `{res.get('error')}`"]
    g, pk, idle = res["graders"], res["peak"], res["idle"]
    per = (pk["voila"] + pk["kernels"]) / g
    extra = (pk["voila"] + pk["kernels"] - idle["voila"] - idle["kernels"]) / g
    return [
        title,
        "",
        f"`examkit grade --lan --host 127.0.0.1` (Voilà behind examkit's LAN proxy), {g} graders at once, each in "
        f"its own headless Chromium context at phone size (375 px) with its own link, each saving "
        f"{res['marks_per_grader']} marks into the same batch on her own candidates (type, Enter, wait until the "
        f"page shows “saved” beside the mark: save-to-confirmation). Then all {g} type the same mark of one shared "
        f"candidate they had all loaded before anyone saved it. {res['cpus']} CPUs, everything on this one machine "
        f"(browsers included).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| all {g} pages opened at once: the last one usable after | {res['open_max_s']:.0f} s |",
        f"| pages that stayed blank and were reloaded once | {res['reloads']} of {g} |",
        f"| marks saved through the page | {res['saves']:,} in {res['wall_s']:.0f} s (page opening included) |",
        f"| save-to-confirmation: median | {res['p50_ms']:.0f} ms |",
        f"| save-to-confirmation: p95 | {res['p95_ms']:.0f} ms |",
        f"| save-to-confirmation: slowest | {res['max_ms']:.0f} ms |",
        f"| marks lost (gradebook ≠ what the page confirmed) | {res['lost']} |",
        f"| marks recorded under another grader than the link's | {res['wrong_grader']} |",
        f"| conflicting edits refused and shown | {res['conflicts_refused_shown']} of {res['conflicts_expected']} "
        f"(shared mark written once: version {res['conflict_version']}) |",
        f"| RSS at peak: Voilà | {pk['voila'] / MIB:.0f} MiB |",
        f"| RSS at peak: {pk['kernel_count']} page kernels | {pk['kernels'] / MIB:.0f} MiB |",
        f"| RSS at peak: examkit process with the LAN proxy | {pk['proxy'] / MIB:.0f} MiB |",
        f"| server memory per grader (Voilà + kernels ÷ {g}) | {per / MIB:.0f} MiB |",
        f"| added per grader over the idle server | {extra / MIB:.0f} MiB |",
    ]
