"""``benchmarks/RESULTS.md`` from the measured figures (and ``benchmarks/analysis.md``, the hand-written notes)."""

from __future__ import annotations

from pathlib import Path

GIB = 2**30
MIB = 2**20
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"

TARGETS = {
    "speedup": 5.0,  # examkit at least this many times faster than pandas at the largest size
    "floor": 3.0,  # examkit at most this many times the raw scan
    "rss": 1 * GIB,  # examkit peak RSS below this
    "notebook": 1.3,  # runner at most this many times the bare papermill runs
    "report": 1.2,  # report at 100,000 at most this many times the report at 100
    "save_ms": 10.0,  # median time to save one mark
}


def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.3f} s" if x < 1 else f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def _t(task: dict) -> str:
    """Median time, with the fastest run when there were several."""
    if len(task.get("all_seconds") or []) > 1:
        return f"{_s(task['seconds'])} (min {_s(task.get('best'))})"
    return _s(task["seconds"])


def _err(text: object) -> str:
    """A failure in one short line: the part of the message that says what failed, at most 100 characters."""
    parts = [p.strip() for p in str(text).strip().split(" | ") if p.strip()]
    key = [p for p in parts if "allocation" in p or "Error" in p or "error" in p]
    last = (key or parts or [""])[0]
    return (last[:97] + "…") if len(last) > 100 else last


def _mib(b: int | None) -> str:
    return "—" if not b else f"{b / MIB:,.0f} MiB"


def _x(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}×"


def _ok(flag: bool | None) -> str:
    return "—" if flag is None else ("**met**" if flag else "**missed**")


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _n(n: int | str) -> str:
    return f"{int(n):,}"


def targets(res: dict) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    an = res.get("analytics")
    if an and an["sizes"]:
        n = max(an["sizes"], key=int)
        t = an["sizes"][n]["tasks"]
        ek, pd_, fl = t["examkit"], t["pandas"], t["floor"]
        sp = _ratio(pd_["seconds"], ek["seconds"])
        fr = _ratio(ek["seconds"], fl["seconds"])
        rows.append(
            (
                f"Analytics + fees at {_n(n)}: ≥ {TARGETS['speedup']:g}× faster than the pandas baseline",
                f"{_x(sp)} ({_s(ek['seconds'])} vs {_s(pd_['seconds'])})",
                None if sp is None else sp >= TARGETS["speedup"],
            )
        )
        rows.append(
            (
                f"Analytics + fees at {_n(n)}: ≤ {TARGETS['floor']:g}× the raw scan",
                f"{_x(fr)} ({_s(ek['seconds'])} vs {_s(fl['seconds'])})",
                None if fr is None else fr <= TARGETS["floor"],
            )
        )
        rows.append(
            (
                f"Analytics + fees at {_n(n)}: peak RSS < 1 GiB",
                _mib(ek["peak_rss"]),
                None if not ek["peak_rss"] else ek["peak_rss"] < TARGETS["rss"],
            )
        )
    nb = res.get("notebooks")
    if nb:
        r = _ratio(nb["runner_seconds"], nb["floor_seconds"])
        rows.append(
            (
                f"One batch's notebooks through the runner ≤ {TARGETS['notebook']:g}× bare papermill runs",
                f"{_x(r)} ({_s(nb['runner_seconds'])} vs {_s(nb['floor_seconds'])})",
                None if r is None else r <= TARGETS["notebook"],
            )
        )
    sz = res.get("size")
    if sz:
        small, big = min(sz, key=int), max(sz, key=int)
        r = _ratio(sz[big].get("bytes"), sz[small].get("bytes"))
        rows.append(
            (
                f"Pass-rate report at {_n(big)} ≤ {TARGETS['report']:g}× the report at {_n(small)}",
                f"{_x(r)}",
                None if r is None else r <= TARGETS["report"],
            )
        )
    gr = res.get("grading")
    if gr:
        med = gr.get("save_median_ms")
        rows.append(
            (
                f"Save one mark (with its audit row) < {TARGETS['save_ms']:g} ms median",
                "—" if med is None else f"{med:.2f} ms",
                None if med is None else med < TARGETS["save_ms"],
            )
        )
    ce = res.get("ceiling")
    if ce:
        rows.append(
            (
                f"Scale ceiling within {ce['budget'] / GIB:g} GiB (stated, no target)",
                "—" if not ce.get("ceiling") else f"{_n(ce['ceiling'])} registrations",
                None,
            )
        )
    return rows


def _machine(m: dict, res: dict) -> list[str]:
    v = m["versions"]
    load = m.get("load_start")
    load_end = m.get("load_end")
    lines = [
        f"- Date: {m['date']}; total benchmark time {res.get('total_seconds', 0) / 60:.1f} min",
        f"- Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory'] / GIB:.1f} GiB memory, {m['os']}"
        if m.get("memory")
        else f"- Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['os']}",
        f"- Python {m['python']}, examkit {m['examkit']} (git {m['git']}), "
        + ", ".join(f"{k} {val}" for k, val in v.items()),
    ]
    if load:
        end = f", at the end {load_end[0]:.1f}" if load_end else ""
        lines.append(
            f"- Load average (1 min) at the start {load[0]:.1f}{end}: the machine may have been shared, "
            "so absolute times carry noise; ratios measured back to back are steadier."
        )
    c = res["config"]
    lines.append(
        f"- Each timed figure is the median of {c['repeats']} run(s), each in a fresh process"
        + (" (quick mode)." if c["quick"] else ".")
    )
    return lines


def _analytics(an: dict) -> list[str]:
    out = [
        "## 1. Analytics + fee reconciliation",
        "",
        "Generated years (`benchmarks/synth.py`, vectorised numpy/polars): N registrations over the 13 batches "
        "in the demo year's proportions, with a score sheet per batch (one column per rubric item, 缺考/违纪) "
        "and a bank statement (one transfer per paying site and batch: most exact, some under/over/unpaid, "
        "duplicates, unknown payers). All CSV, UTF-8 with BOM, Chinese headers, as Excel saves them. "
        "Every row is valid, so each side does its full work on every row.",
        "",
        "- **floor**: polars reads every file (registrations, scores, payments, schools) and sums one column.",
        "- **pandas**: `benchmarks/baseline_pandas.py` — read, join scores, group pass rates with Wilson "
        "intervals by (batch, level), (batch, school), (batch, site), (level); fee statement per paying site and "
        "batch (payer by code, else name/alias; batch from the memo; duplicates flagged). No row validation.",
        "- **examkit**: `benchmarks/ekit.py` — the same through examkit's public API, as its CLI and notebooks do: "
        "registrations read and validated (`examkit.analysis.fees.load_inputs` → `registrations.load_registrations_dir`, "
        "with the schools list), score sheets → results (`passrates_inputs.results_for`), `analytics.outcomes` + "
        "`analytics.pass_rates`, `payments.load_payments` + `fees.reconcile`.",
        "",
        "Times are the work after imports, median of the runs (fastest in brackets); the three sides run in turn, "
        "round after round, so that a busy moment hits them alike. Peak RSS is the whole process's (VmHWM).",
        "",
        "| registrations | csv size | generate | floor | pandas | examkit | pandas ÷ examkit | examkit ÷ floor "
        "| RSS floor | RSS pandas | RSS examkit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(an["sizes"], key=int):
        e = an["sizes"][n]
        t = e["tasks"]
        fl, pd_, ek = t["floor"], t["pandas"], t["examkit"]
        out.append(
            f"| {_n(n)} | {e['csv_bytes'] / MIB:,.0f} MiB | {_s(e['generate_seconds'])} | {_t(fl)} "
            f"| {_t(pd_)} | {_t(ek)} | {_x(_ratio(pd_['seconds'], ek['seconds']))} "
            f"| {_x(_ratio(ek['seconds'], fl['seconds']))} | {_mib(fl['peak_rss'])} | {_mib(pd_['peak_rss'])} "
            f"| {_mib(ek['peak_rss'])} |"
        )
    errors = [
        f"- {t} at {_n(n)} failed: `{e['tasks'][t]['error']}`"
        for n, e in an["sizes"].items()
        for t in e["tasks"]
        if not e["tasks"][t]["ok"]
    ]
    if errors:
        out += ["", *errors]
    out += [
        "",
        "examkit's stages (medians):",
        "",
        "| registrations | " + " | ".join(STAGE_NAMES.get(k, k) for k in _stage_names(an)) + " |",
        "|---:|" + "---:|" * len(_stage_names(an)),
    ]
    for n in sorted(an["sizes"], key=int):
        st = an["sizes"][n]["tasks"]["examkit"]["stages"]
        total = sum(st.values()) or None
        cells = [f"{_s(st.get(k))} ({100 * st.get(k, 0) / total:.0f}%)" if total else "—" for k in _stage_names(an)]
        out.append(f"| {_n(n)} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Cross-check (both sides must agree with what the generator wrote):",
        "",
        "| registrations | side | registered | sat | passed | expected (fen) | paid (fen) | statement rows "
        "| unmatched receipts |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(an["sizes"], key=int):
        e = an["sizes"][n]
        tr = e["truth"]
        out.append(
            f"| {_n(n)} | generator | {_n(tr['registrations'])} | {_n(tr['sat'])} | {_n(tr['passed'])} "
            f"| {_n(tr['expected_fen'])} | — | — | — |"
        )
        for side in ("pandas", "examkit"):
            r = e["tasks"][side]["result"]
            if r:
                out.append(
                    f"| {_n(n)} | {side} | {_n(r['registered'])} | {_n(r['sat'])} | {_n(r['passed'])} "
                    f"| {_n(r['expected_fen'])} | {_n(r['paid_fen'])} | {_n(r['statement_rows'])} | {_n(r['unmatched'])} |"
                )
    charts = {n: e["tasks"]["examkit"]["result"].get("charts") for n, e in an["sizes"].items()}
    if any(charts.values()):
        out += [
            "",
            "Charts built from these aggregates with `examkit.report.charts` (the year's score histogram; pass rates per "
            "batch) — what they embed, which must not grow with the number of candidates (`to_dict()` also proves "
            "there is no MaxRowsError):",
            "",
            "| registrations | histogram rows | histogram JSON bytes | pass-rate bars rows | pass-rate bars JSON bytes |",
            "|---:|---:|---:|---:|---:|",
        ]
        for n in sorted(charts, key=int):
            c = charts[n]
            if c:
                h, b = c["histogram"], c["pass_rate_bars"]
                out.append(f"| {_n(n)} | {h['rows']} | {_n(h['bytes'])} | {b['rows']} | {_n(b['bytes'])} |")
    prof = an.get("profile")
    if prof and prof.get("ok"):
        out += [
            "",
            f"Profile of examkit at {_n(prof['size'])} (cProfile, one extra run, {_s(prof['seconds'])} under the "
            f"profiler): {_n(prof['collect']['calls'])} polars `collect()` calls taking {_s(prof['collect']['seconds'])} "
            f"in all; {_n(prof['yaml']['calls'])} YAML parses taking {_s(prof['yaml']['seconds'])}. "
            "Top examkit functions by cumulative time:",
            "",
            "| function | calls | cumulative |",
            "|---|---:|---:|",
        ]
        for r in prof["top"][:20]:
            out.append(f"| `{r['function']}` | {_n(r['calls'])} | {_s(r['cumulative'])} |")
    return out


STAGE_NAMES = {
    "registrations": "read + validate registrations",
    "scores": "score sheets → results",
    "pass_rates": "outcomes + pass rates",
    "fees": "payments + reconciliation",
}


def _stage_names(an: dict) -> list[str]:
    for e in an["sizes"].values():
        st = e["tasks"]["examkit"]["stages"]
        if st:
            return list(st)
    return []


def _notebooks(nb: dict) -> list[str]:
    per = nb.get("per_notebook", {})
    out = [
        "## 2. Notebook runs",
        "",
        f"One batch (2023-01 of the demo year, `examkit demo --batches 2023-01` in a scratch project) through "
        f"`examkit.run.runner.run(..., jobs=1)` — each notebook in its own worker process: papermill, then the HTML "
        f"report — versus the same number of bare papermill runs (one fresh process each, one after the other) of "
        f"an empty notebook that only imports the same libraries (`{'; '.join(nb.get('imports', []))}`). "
        f"Median of {nb['repeats']} run(s).",
        "",
        "| run | seconds |",
        "|---|---:|",
        f"| runner: grading + pass_rates + fees | {_s(nb['runner_seconds'])} |",
        *[f"| — {k} (worker process, as the runner timed it) | {_s(v)} |" for k, v in per.items()],
        f"| floor: {len(per) or 3} bare papermill runs | {_s(nb['floor_seconds'])} |",
        f"| floor + HTML rendering of each (what the runner always adds) | {_s(nb['floor_render_seconds'])} |",
        f"| **runner ÷ floor** | **{_x(_ratio(nb['runner_seconds'], nb['floor_seconds']))}** |",
        f"| runner ÷ (floor + HTML) | {_x(_ratio(nb['runner_seconds'], nb['floor_render_seconds']))} |",
    ]
    if nb.get("failures"):
        out += ["", "Failed notebooks: " + "; ".join(nb["failures"])]
    if nb.get("year"):
        out += [
            "",
            "The whole demo year (`examkit demo --workdir TMP --jobs N`: generate the demo data, then 13 "
            "batches × 3 notebooks; one run each):",
            "",
            "| jobs | seconds | reports written | exit | load average after |",
            "|---:|---:|---:|---:|---:|",
        ]
        for label, runs in (("", nb["year"]), (" (an earlier run)", nb.get("year_first_run") or {})):
            for jobs, y in sorted(runs.items(), key=lambda kv: int(kv[0])):
                load = y.get("load")
                out.append(
                    f"| {jobs}{label} | {_s(y['seconds'])} | {y['reports']} | {y['exit']} "
                    f"| {'—' if not load else f'{load[0]:.1f}'} |"
                )
        y1, y2 = nb["year"].get(1) or nb["year"].get("1"), nb["year"].get(2) or nb["year"].get("2")
        if y1 and y2:
            out.append(f"\n`--jobs 2` is {_x(_ratio(y1['seconds'], y2['seconds']))} as fast as `--jobs 1`.")
    return out


def _size(sz: dict) -> list[str]:
    out = [
        "## 3. Report size",
        "",
        "The pass-rate report of one generated batch (2023-01) rendered by the runner "
        '(`notebooks=("pass_rates",)`) at each size. The candidates come from the same 15 schools at every '
        "size, so a table or chart per school can only grow until every school has candidates; past that, "
        "growth would mean per-candidate data in the report.",
        "",
        "| candidates | ok | HTML bytes | charts (inline SVG) | chart bytes | tables | table bytes | embedded Vega specs / images | run time |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(sz, key=int):
        e = sz[n]
        b = e.get("bytes")
        out.append(
            f"| {_n(n)} | {'yes' if e['ok'] else 'no: ' + str(e.get('error'))} | {'—' if b is None else _n(b)} "
            f"| {e.get('charts', '—')} | {_n(e['chart_bytes']) if 'chart_bytes' in e else '—'} "
            f"| {e.get('tables', '—')} | {_n(e['table_bytes']) if 'table_bytes' in e else '—'} "
            f"| {e.get('vega_specs', '—')} / {e.get('images', '—')} | {_s(e.get('seconds'))} |"
        )
    small, big = min(sz, key=int), max(sz, key=int)
    r = _ratio(sz[big].get("bytes"), sz[small].get("bytes"))
    out.append(f"\nReport at {_n(big)} ÷ report at {_n(small)}: **{_x(r)}**.")
    return out


def _grading(gr: dict) -> list[str]:
    if not gr.get("ok"):
        return ["## 4. Grading", "", f"Failed: `{gr.get('error')}`"]
    return [
        "## 4. Grading",
        "",
        f"A new gradebook file (SQLite, WAL, `durable=True`: every commit synced to disk — the default), "
        f"{_n(gr['candidates'])} candidates of one batch registered, then {_n(gr['saves'])} marks saved one at a "
        f"time with `Gradebook.save_mark` (each its own transaction with its audit row, written by the database's "
        f"triggers: {_n(gr['audit_rows'])} audit rows appeared). Then the grading form (`examkit.notebook.widgets.GradingForm`) "
        f"opened {gr['opens']} times on the batch, and {_n(gr['form_saves'])} marks typed into it "
        f"(setting a field's value = typing and pressing Enter: check, save, refresh total and progress).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| save one mark: median | {gr['save_median_ms']:.2f} ms |",
        f"| save one mark: p99 | {gr['save_p99_ms']:.2f} ms |",
        f"| save one mark: slowest | {gr['save_max_ms']:.2f} ms |",
        f"| type a mark into the form (save + refresh): median | {gr['form_save_median_ms']:.2f} ms |",
        f"| type a mark into the form: p99 | {gr['form_save_p99_ms']:.2f} ms |",
        f"| marks typed into the form found saved | {gr['form_saved_ok']} of {gr['form_saves']} |",
        f"| open the grading form on {_n(gr['candidates'])} candidates: first | {_s(gr['open_first_s'])} |",
        f"| open the grading form: median of {gr['opens']} | {_s(gr['open_median_s'])} |",
        f"| register {_n(gr['candidates'])} candidates | {_s(gr['stages'].get('register'))} |",
        f"| peak RSS of the process | {_mib(gr.get('peak_rss'))} |",
    ]


def _ceiling(ce: dict) -> list[str]:
    out = [
        "## 5. Scale ceiling",
        "",
        f"Peak RSS of the examkit analytics + fees (section 1's pipeline, fresh process each) at increasing sizes; "
        f"the budget is {ce['budget'] / GIB:g} GiB.",
        "",
        "| registrations | peak RSS | seconds | measured in |",
        "|---:|---:|---:|---|",
    ]
    for p in ce["points"]:
        ok = p.get("ok", True)
        out.append(
            f"| {_n(p['size'])} | {_mib(p.get('peak_rss')) if ok else 'failed: ' + str(p.get('error'))} "
            f"| {_s(p.get('seconds'))} | {p['source']} |"
        )
    best = ce.get("ceiling")
    if best:
        line = f"\n**Ceiling: {_n(best)} registrations** (the largest size measured under {ce['budget'] / GIB:g} GiB"
        if ce.get("first_over"):
            line += f"; {_n(ce['first_over'])} went over"
        line += ")."
        if ce.get("estimate"):
            line += f" A straight line through the two largest points reaches the budget at ≈ {_n(ce['estimate'])}."
        capped = ce.get("capped") or []
        if capped:
            done = [c for c in capped if c["ok"]]
            line += (
                f" With the process's whole address space capped at {ce['budget'] / GIB:g} GiB (RLIMIT_AS, stricter: "
                "it counts reserved virtual memory, not only what is resident): "
                + "; ".join(
                    f"{_n(c['size'])} {'completed' if c['ok'] else 'failed (' + _err(c['error']) + ')'}" for c in capped
                )
                + (f" — so {_n(done[0]['size'])} registrations is safe even under a hard cap." if done else ".")
            )
        out.append(line)
    else:
        out.append("\nNo size was measured under the budget.")
    return out


def render(res: dict) -> str:
    lines = [
        "# examkit benchmarks — results",
        "",
        "Generated by `python -m benchmarks.run` (`make bench`); do not edit by hand — the hand-written notes live "
        "in `benchmarks/analysis.md` and are copied in at the end. Issue 10 defines what is measured.",
        "",
        *_machine(res["machine"], res),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *[f"| {name} | {value} | {_ok(ok)} |" for name, value, ok in targets(res)],
        "",
    ]
    if res.get("analytics"):
        lines += [*_analytics(res["analytics"]), ""]
    if res.get("notebooks"):
        lines += [*_notebooks(res["notebooks"]), ""]
    if res.get("size"):
        lines += [*_size(res["size"]), ""]
    if res.get("grading"):
        lines += [*_grading(res["grading"]), ""]
    if res.get("ceiling"):
        lines += [*_ceiling(res["ceiling"]), ""]
    if not res["config"]["quick"] and ANALYSIS.is_file():
        lines += [ANALYSIS.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines)


def write(res: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(render(res), encoding="utf-8")
    tmp.replace(path)
