"""Report size: the rendered pass-rate report of one batch at 100 and at 100,000 candidates."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import yaml

from benchmarks.synth import generate

BATCH = "2023-01"


SCHOOLS = 12  # pilot schools (plus 3 non-pilot): the same at every size, so group tables keep their rows


def make_project(work: Path, candidates: int, seed: int = 2023) -> Path:
    """A project folder whose ``params/2023-01.yaml`` points at a generated batch of ``candidates``
    from the same schools at every size."""
    from examkit.demo import prepare_project

    shutil.rmtree(work, ignore_errors=True)
    params_dir = prepare_project(work)
    year = generate(work / "data", candidates, seed=seed, batches=[BATCH], pilot_schools=SCHOOLS)
    template = yaml.safe_load((params_dir / f"{BATCH}.yaml").read_text(encoding="utf-8"))
    template.update(
        {
            "batch": BATCH,
            "registrations": f"data/registrations/{BATCH}.csv",
            "registrations_dir": "data/registrations",
            "schools": "data/schools.csv",
            "payments": "data/payments.csv",
            "gradebook": "data/gradebook.sqlite",
            "scores": f"data/scores/{BATCH}.csv",
        }
    )
    (params_dir / f"{BATCH}.yaml").write_text(
        yaml.safe_dump(template, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    assert year.registrations == candidates
    return work


def measure(work: Path, sizes: tuple[int, ...] = (100, 100_000), log=print) -> dict:
    """Bytes of ``outputs/2023-01/pass_rates.html`` per size (and whether the run succeeded)."""
    from examkit.run.runner import run

    out: dict = {}
    for n in sizes:
        project = make_project(work / f"n{n}", n)
        start = time.perf_counter()
        report = run(
            [project / "params" / f"{BATCH}.yaml"],
            project / "outputs",
            jobs=1,
            notebooks=("pass_rates",),
            progress=False,
        )
        seconds = time.perf_counter() - start
        html = project / "outputs" / BATCH / "pass_rates.html"
        res = report.results[0]
        entry = {
            "ok": res.ok,
            "seconds": seconds,
            "bytes": html.stat().st_size if html.exists() else None,
            "error": res.error,
        }
        if html.exists():
            text = html.read_text(encoding="utf-8")
            svgs = re.findall(r"<svg.*?</svg>", text, re.S)
            tables = re.findall(r"<table.*?</table>", text, re.S)
            entry.update(
                charts=len(svgs),
                chart_bytes=sum(len(x.encode("utf-8")) for x in svgs),
                tables=len(tables),
                table_bytes=sum(len(x.encode("utf-8")) for x in tables),
                vega_specs=text.count('"$schema"'),
                images=len(re.findall(r"data:image/", text)),
            )
        out[n] = entry
        log(
            f"  report size n={n:>7,}: " + (f"{entry['bytes']:,} bytes in {seconds:.1f}s" if res.ok else str(res.error))
        )
    return out
