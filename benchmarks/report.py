"""``benchmarks/RESULTS.md`` from the measured figures (and ``benchmarks/analysis.md``, the hand-written notes)."""

from __future__ import annotations

from pathlib import Path

GIB = 2**30
MIB = 2**20
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"

TARGETS = {  # issue 14's targets
    "speedup": 5.0,  # cold examkit at least this many times faster than pandas at the largest size
    "floor": 3.0,  # cold examkit at most this many times the raw scan
    "rss": 1 * GIB,  # cold examkit peak RSS below this
    "warm_floor": 1.5,  # warm examkit (store filled) at most this many times the raw scan
    "year": 15.0,  # the demo year (--jobs 2) at most this many bare papermill runs
    "report": 1.05,  # pass-rate report at 100,000 within 5% of the report at 1,000 ("the same size")
    "save_ms": 10.0,  # median time to save one mark
    "test_s": 180.0,  # make test: seconds of pytest, with no skips
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


def _by(ratio: float | None, ok: bool | None) -> str:
    """How far from the target: ``ratio`` is measured ÷ limit (limit ÷ measured for an at-least target)."""
    if ratio is None or ok is None:
        return "—"
    return f"missed by **{ratio:.2f}×**" if not ok else f"met, {1 / ratio:.2f}× to spare" if ratio else "met"


def _row(name: str, value: str, ratio: float | None, ok: bool | None = None) -> tuple[str, str, bool | None, str]:
    """A target row; met when ``ratio`` (measured ÷ limit) is at most 1 unless ``ok`` says otherwise."""
    if ok is None and ratio is not None:
        ok = ratio <= 1
    return name, value, ok, _by(ratio, ok)


def _largest(an: dict) -> tuple[str, dict] | None:
    if not an or not an.get("sizes"):
        return None
    n = max(an["sizes"], key=int)
    return n, an["sizes"][n]["tasks"]


def targets(res: dict) -> list[tuple[str, str, bool | None, str]]:
    """Each target of issue 14: (target, measured, met?, by how much)."""
    rows: list[tuple[str, str, bool | None, str]] = []
    got = _largest(res.get("analytics"))
    if got:
        n, t = got
        ek, pd_, fl, wm = t["examkit"], t["pandas"], t["floor"], t.get("examkit_warm")
        sp = _ratio(pd_["seconds"], ek["seconds"])
        rows.append(
            _row(
                f"Fee statement + pass rates at {_n(n)}, cold (every row validated, store written): "
                f"≥ {TARGETS['speedup']:g}× faster than the pandas baseline",
                f"{_x(sp)} ({_s(ek['seconds'])} vs {_s(pd_['seconds'])})",
                None if not sp else TARGETS["speedup"] / sp,
            )
        )
        fr = _ratio(ek["seconds"], fl["seconds"])
        rows.append(
            _row(
                f"… cold: ≤ {TARGETS['floor']:g}× the raw scan",
                f"{_x(fr)} ({_s(ek['seconds'])} vs {_s(fl['seconds'])})",
                _ratio(fr, TARGETS["floor"]),
            )
        )
        rows.append(
            _row(
                "… cold: peak RSS < 1 GiB",
                _mib(ek["peak_rss"]),
                _ratio(ek["peak_rss"], TARGETS["rss"]),
                None if not ek["peak_rss"] else ek["peak_rss"] < TARGETS["rss"],
            )
        )
        if wm is not None:
            wr = _ratio(wm["seconds"], fl["seconds"])
            rows.append(
                _row(
                    f"… warm (store filled by the cold run): ≤ {TARGETS['warm_floor']:g}× the raw scan",
                    f"{_x(wr)} ({_s(wm['seconds'])} vs {_s(fl['seconds'])})",
                    _ratio(wr, TARGETS["warm_floor"]),
                )
            )
    nb = res.get("notebooks")
    if nb and "bare_seconds" in nb:
        r = _ratio(nb.get("year_seconds"), nb["bare_seconds"])
        rows.append(
            _row(
                f"The demo year ({nb.get('notebooks') or 39} notebooks, `examkit run --jobs 2`, warm runner): "
                f"≤ {TARGETS['year']:g}× one bare papermill run",
                f"{_x(r)} ({_s(nb.get('year_seconds'))} vs {_s(nb['bare_seconds'])})"
                if r is not None
                else "failed: " + _err(next((y["error"] for y in nb.get("year_runs", []) if y.get("error")), "?")),
                _ratio(r, TARGETS["year"]),
            )
        )
    tl = res.get("pytest")
    if tl is not None:
        name = f"`make test`: ≤ {TARGETS['test_s']:g} s of pytest, no skips"
        if tl.get("error"):
            rows.append((name, f"log not read: {_err(tl['error'])}", None, "—"))
        else:
            from benchmarks.pytest_log import judge

            ok, why = judge(tl, TARGETS["test_s"])
            c = tl["counts"]
            value = f"{_s(tl['seconds'])}; " + ", ".join(f"{v:,} {k}" for k, v in c.items() if k != "warnings")
            by = _by(_ratio(tl["seconds"], TARGETS["test_s"]), ok)
            if not ok:
                by = "missed: " + "; ".join(why)
            rows.append((name, value, ok, by))
    else:
        rows.append(
            (f"`make test`: ≤ {TARGETS['test_s']:g} s of pytest, no skips", "not measured (no --pytest-log)", None, "—")
        )
    sz = res.get("size")
    if sz:
        small = next((k for k in sz if int(k) == 1000), min(sz, key=int))
        big = max(sz, key=int)
        r = _ratio(sz[big].get("bytes"), sz[small].get("bytes"))
        if int(big) <= int(small):
            rows.append(("Pass-rate report at 100,000 the same size as at 1,000 (held)", "not measured", None, "—"))
        else:
            rows.append(
                _row(
                    f"Pass-rate report at {_n(big)} the same size as at {_n(small)} (≤ {TARGETS['report']:g}×; held)",
                    _x(r),
                    _ratio(r, TARGETS["report"]),
                )
            )
    gr = res.get("grading")
    if gr:
        med = gr.get("save_median_ms")
        rows.append(
            _row(
                f"Save one mark (with its audit row) < {TARGETS['save_ms']:g} ms median (held)",
                "—" if med is None else f"{med:.2f} ms",
                _ratio(med, TARGETS["save_ms"]),
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
                "—",
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


SIDES = {"examkit": "cold", "examkit_warm": "warm"}
UNCOMPARED = ("store",)  # what a warm run may differ in from a cold one


def same_results(cold: dict, warm: dict) -> bool | None:
    """Whether a warm run's results equal the cold run's (store counts aside); None when one is missing."""
    if not cold or not warm:
        return None
    return {k: v for k, v in cold.items() if k not in UNCOMPARED} == {
        k: v for k, v in warm.items() if k not in UNCOMPARED
    }


def _analytics(an: dict) -> list[str]:
    out = [
        "## 1. Fee statement + pass rates (analytics), cold and warm",
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
        "- **examkit cold**: `benchmarks/ekit.py` — the same through examkit's public API, as its CLI and notebooks "
        "do, every input through an input store (`examkit.store.inputs.InputStore`) in an empty folder "
        "(`<data>/.store`, removed before the timed work): registrations read and validated with the schools list "
        "(`examkit.session.fee_inputs.read_fee_inputs`), score sheets → results (`examkit.session.year.results_for`), "
        "`examkit.analysis.passrates.outcomes` + `pass_rates`, `InputStore.payments` + "
        "`examkit.analysis.fees.reconcile`. Every row is validated and every store entry written: what a first run costs.",
        "- **examkit warm**: the same pipeline run right after the cold one in each round, reading the store the cold "
        "run filled (it fails if it had to build any entry).",
        "",
        "Times are the work after imports, median of the runs (fastest in brackets); the sides run in turn, "
        "round after round, so that a busy moment hits them alike. Peak RSS is the whole process's (VmHWM).",
        "",
        "| registrations | csv size | generate | floor | pandas | examkit cold | examkit warm | pandas ÷ cold "
        "| cold ÷ floor | warm ÷ floor | RSS floor | RSS pandas | RSS cold | RSS warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    none = {"seconds": None, "peak_rss": None, "all_seconds": [], "ok": True, "stages": {}, "result": {}}
    for n in sorted(an["sizes"], key=int):
        e = an["sizes"][n]
        t = e["tasks"]
        fl, pd_, ek, wm = t["floor"], t["pandas"], t["examkit"], t.get("examkit_warm") or none
        out.append(
            f"| {_n(n)} | {e['csv_bytes'] / MIB:,.0f} MiB | {_s(e['generate_seconds'])} | {_t(fl)} "
            f"| {_t(pd_)} | {_t(ek)} | {_t(wm)} | {_x(_ratio(pd_['seconds'], ek['seconds']))} "
            f"| {_x(_ratio(ek['seconds'], fl['seconds']))} | {_x(_ratio(wm['seconds'], fl['seconds']))} "
            f"| {_mib(fl['peak_rss'])} | {_mib(pd_['peak_rss'])} | {_mib(ek['peak_rss'])} | {_mib(wm['peak_rss'])} |"
        )
    errors = [
        f"- {t} at {_n(n)} failed: `{e['tasks'][t]['error']}`"
        for n, e in an["sizes"].items()
        for t in e["tasks"]
        if not e["tasks"][t]["ok"]
    ]
    if errors:
        out += ["", *errors]
    names = _stage_names(an)
    out += [
        "",
        "examkit's stages (medians; the shares are of the four stages' sum):",
        "",
        "| registrations | run | " + " | ".join(STAGE_NAMES.get(k, k) for k in names) + " |",
        "|---:|---|" + "---:|" * len(names),
    ]
    for n in sorted(an["sizes"], key=int):
        for side, label in SIDES.items():
            task = an["sizes"][n]["tasks"].get(side)
            if not task:
                continue
            st = task["stages"]
            total = sum(st.values()) or None
            cells = [f"{_s(st.get(k))} ({100 * st.get(k, 0) / total:.0f}%)" if total else "—" for k in names]
            out.append(f"| {_n(n)} | {label} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Cross-check (every side must agree with what the generator wrote; warm must equal cold):",
        "",
        "| registrations | side | registered | sat | passed | expected (fen) | paid (fen) | statement rows "
        "| unmatched receipts | store entries (built / read) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(an["sizes"], key=int):
        e = an["sizes"][n]
        tr = e["truth"]
        out.append(
            f"| {_n(n)} | generator | {_n(tr['registrations'])} | {_n(tr['sat'])} | {_n(tr['passed'])} "
            f"| {_n(tr['expected_fen'])} | — | — | — | — |"
        )
        for side, label in (("pandas", "pandas"), *((k, f"examkit {v}") for k, v in SIDES.items())):
            r = (e["tasks"].get(side) or {}).get("result")
            if r:
                store = r.get("store")
                kept = f"{store['builds']} / {store['hits']}" if store else "—"
                out.append(
                    f"| {_n(n)} | {label} | {_n(r['registered'])} | {_n(r['sat'])} | {_n(r['passed'])} "
                    f"| {_n(r['expected_fen'])} | {_n(r['paid_fen'])} | {_n(r['statement_rows'])} "
                    f"| {_n(r['unmatched'])} | {kept} |"
                )
    checks = []
    for n in sorted(an["sizes"], key=int):
        t = an["sizes"][n]["tasks"]
        same = same_results((t.get("examkit") or {}).get("result"), (t.get("examkit_warm") or {}).get("result"))
        if same is not None:
            checks.append(f"{_n(n)}: {'equal' if same else '**DIFFERENT**'}")
    if checks:
        out += [
            "",
            "Warm versus cold, every figure above plus order-independent digests of the registrations, the "
            "outcomes, the fee statement, the unmatched receipts and the four pass-rate tables: "
            + "; ".join(checks)
            + ".",
        ]
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
    for key, label, how in (
        ("profile", "cold", "with an empty store"),
        ("profile_warm", "warm", "reading the store the cold profile run filled"),
    ):
        prof = an.get(key)
        if prof and prof.get("ok"):
            out += [
                "",
                f"Profile of examkit **{label}** at {_n(prof['size'])} (cProfile, one extra run {how}, "
                f"{_s(prof['seconds'])} under the profiler): {_n(prof['collect']['calls'])} polars `collect()` calls "
                f"taking {_s(prof['collect']['seconds'])} in all; {_n(prof['yaml']['calls'])} YAML parses taking "
                f"{_s(prof['yaml']['seconds'])}. Top examkit functions by cumulative time:",
                "",
                "| function | calls | cumulative |",
                "|---|---:|---:|",
            ]
            for r in prof["top"][:25]:
                out.append(f"| `{r['function']}` | {_n(r['calls'])} | {_s(r['cumulative'])} |")
        elif prof:
            out += ["", f"Profile ({label}) failed: `{_err(prof.get('error'))}`"]
    return out


STAGE_NAMES = {
    "registrations": "read + validate registrations",
    "scores": "score sheets → results",
    "pass_rates": "outcomes + pass rates",
    "fees": "payments + reconciliation",
}


def _stage_names(an: dict) -> list[str]:
    for e in an["sizes"].values():
        for side in SIDES:
            st = (e["tasks"].get(side) or {}).get("stages")
            if st:
                return list(st)
    return []


def _notebooks(nb: dict) -> list[str]:
    runs = nb.get("year_runs") or []
    out = [
        "## 2. The demo year",
        "",
        f"The demo project (the shipped params and `examkit demo`'s generated data, written untimed in "
        f"{_s(nb.get('prepare_seconds'))}), then `examkit run --jobs 2 --quiet params/20*.yaml`: "
        f"{nb.get('notebooks') or 39} notebooks (grading, pass_rates, fees of each batch) in the warm runner, "
        "which first fills the project's input store; the store and the reports are removed before each run, so "
        "every run validates the year's inputs once. Timed as a whole from the shell (process start to exit). "
        "Each year run is bracketed by bare papermill runs (each a fresh process: papermill starts a kernel "
        "and runs an import-only notebook; the median of them all is the unit). The notebook imports what the "
        f"report notebooks import: `{'; '.join(nb.get('imports', []))}`.",
        "",
        "| run | seconds | exit | reports | load average after |",
        "|---|---:|---:|---:|---:|",
    ]
    bare = nb.get("bare_all") or []
    if bare:
        out.append(f"| one bare papermill run, before the first year run | {_s(bare[0])} | | | |")
    for i, y in enumerate(runs):
        load = y.get("load")
        out.append(
            f"| round {i + 1}: the year, `--jobs 2` (warm runner) | {_s(y['seconds'])} | {y['exit']} | {y['reports']} "
            f"| {'—' if not load else f'{load[0]:.1f}'} |"
        )
        if i + 1 < len(bare):
            out.append(f"| one bare papermill run, after it | {_s(bare[i + 1])} | | | |")
    fresh = nb.get("fresh")
    if fresh:
        load = fresh.get("load")
        out.append(
            f"| reference: the year, `--jobs 2 --fresh-kernels` | {_s(fresh['seconds'])} | {fresh['exit']} "
            f"| {fresh['reports']} | {'—' if not load else f'{load[0]:.1f}'} |"
        )
    out += [
        f"| **median year ÷ median bare run** | **{_x(_ratio(nb.get('year_seconds'), nb.get('bare_seconds')))}** "
        f"({_s(nb.get('year_seconds'))} ÷ {_s(nb.get('bare_seconds'))}) | | | |",
    ]
    if fresh and fresh["exit"] == 0:
        out.append(f"| fresh kernels ÷ warm runner | {_x(_ratio(fresh['seconds'], nb.get('year_seconds')))} | | | |")
    failed = [y for y in [*runs, *([fresh] if fresh else [])] if y.get("error")]
    if failed:
        out += ["", *[f"- a year run failed (exit {y['exit']}): `{_err(y['error'])}`" for y in failed]]
    return out


def _pytest(tl: dict) -> list[str]:
    out = ["## 6. `make test`", ""]
    if tl.get("error"):
        return [*out, f"The log could not be read: `{_err(tl['error'])}`"]
    return [
        *out,
        f"Read from `{tl['file']}` (written {tl['written']}), a saved log of `make test` run on this machine "
        "outside the benchmark (the suite is not run by it). pytest's final line:",
        "",
        f"    {tl['line']}",
    ]


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
    big = max(sz, key=int)
    ratios = [
        f"÷ report at {_n(k)}: **{_x(_ratio(sz[big].get('bytes'), sz[k].get('bytes')))}**"
        for k in sorted(sz, key=int)
        if k != big
    ]
    out.append(f"\nReport at {_n(big)} " + "; ".join(ratios) + ".")
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
        "in `benchmarks/analysis.md` and are copied in at the end. Issue 14 defines the targets.",
        "",
        *_machine(res["machine"], res),
        "",
        "## Targets",
        "",
        "| target | measured | | by how much |",
        "|---|---|---|---|",
        *[f"| {name} | {value} | {_ok(ok)} | {by} |" for name, value, ok, by in targets(res)],
        "",
        "A missed target's evidence: for the analytics, the stage table and the cold and warm profiles of section 1; for the "
        "demo year, section 2 (warm runner against fresh kernels); the hand-written notes at the end say why and "
        "what would close each.",
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
    if res.get("pytest"):
        lines += [*_pytest(res["pytest"]), ""]
    if res.get("lan"):
        from benchmarks.lan_bench import section

        lines += [*section(res["lan"]), ""]
    if not res["config"]["quick"] and ANALYSIS.is_file():
        lines += [ANALYSIS.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(lines)


def write(res: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(render(res), encoding="utf-8")
    tmp.replace(path)
