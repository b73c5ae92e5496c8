"""The built-in demo year: generate realistic inputs, then run every batch like a real site would."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from examkit.core.money import format_yuan_plain, yuan_to_fen
from examkit.demo import double_marking as double_demo
from examkit.demo import mistakes
from examkit.demo import theory as theory_demo
from examkit.demo.generate import (
    FILE_FORMATS,
    REG_HEADERS,
    DemoYear,
    generate_year,
    registration_rows,
    schools_rows,
    write_json,
    write_table,
)
from examkit.demo.grading import grade_demo
from examkit.demo.payments import PAYMENT_HEADERS, payment_rows
from examkit.demo.publicity import publicize_demo
from examkit.run.runner import run
from examkit.settings.params import batch_params_files, load_settings
from examkit.settings.resources import default_params_dir
from examkit.settings.rubrics import load_rubric

STATUS_ZH = {"graded": "", "absent": "缺考", "void": "违纪"}
SCHOOL_HEADERS = ["院校代码", "院校名称", "省份", "是否试点", "备案", "师资培训证书编号", "别名"]


def registrations_file(data_dir: Path, batch_id: str, index: int) -> Path:
    fmt = FILE_FORMATS[index % len(FILE_FORMATS)]
    return data_dir / "registrations" / f"{batch_id}.{'xlsx' if fmt == 'xlsx' else 'csv'}"


def write_demo(data_dir: str | Path, seed: int = 2023, params_dir: Path | None = None) -> DemoYear:
    """Generate the demo year and write its input files under ``data_dir``."""
    data_dir = Path(data_dir)
    demo = generate_year(seed, params_dir=params_dir)
    rng = random.Random(seed + 1)
    demo.planted["registrations"] = mistakes.plant(demo, random.Random(seed + 2))
    write_table(schools_rows(), SCHOOL_HEADERS, data_dir / "schools.xlsx", "xlsx")
    for i, b in enumerate(demo.notice.batches):
        fmt = FILE_FORMATS[i % len(FILE_FORMATS)]
        rows = registration_rows(demo.registrations[b.id], style=i)
        write_table(rows, list(REG_HEADERS.values()), registrations_file(data_dir, b.id, i), fmt)
    demo.planted["theory"] = theory_demo.plant(demo, data_dir, random.Random(seed + 5), params_dir)  # senior theory
    demo.planted["double_marking"] = double_demo.plant(demo, seed, params_dir)
    for b in demo.notice.batches:
        rubric = load_rubric(b.level, params_dir)
        headers = ["考生号", *[i.name_zh for i in rubric.items], "状态"]
        rows = []
        excluded = {
            p["candidate_no"] for p in demo.planted["registrations"] if p.get("excluded") and p["batch"] == b.id
        }
        for cand_no, sc in demo.scores[b.id].items():
            if cand_no in excluded:
                continue
            row = {"考生号": cand_no, "状态": STATUS_ZH[sc["status"]]}
            row.update({i.name_zh: sc["marks"][i.id] for i in rubric.items if i.id in sc["marks"]})
            rows.append(row)
        write_table(rows, headers, data_dir / "scores" / f"{b.id}.xlsx", "xlsx")
    prices = load_settings("prices.yaml", params_dir).get("prices") or {}
    prices_fen = {prov: {lv: yuan_to_fen(v) for lv, v in levels.items()} for prov, levels in prices.items()}
    pay, planted_pay = payment_rows(demo, rng, prices_fen)
    for r in pay:
        r.setdefault("金额(元)", format_yuan_plain(r["fen"]))  # planted rows may write it their own way
    write_table(pay, PAYMENT_HEADERS, data_dir / "payments.csv", "csv-gbk")
    demo.planted["payments"] = planted_pay
    write_json(demo.planted, data_dir / "planted.json")
    grade_demo(data_dir, demo, params_dir)
    theory_demo.import_demo(data_dir, demo, params_dir)  # theory auto-scored into the gradebook
    double_demo.apply(data_dir, demo, seed, params_dir)  # second and third graders of double-marked batches
    publicize_demo(data_dir, demo, params_dir)  # publicity, planted reviews, certificates
    return demo


def prepare_project(workdir: str | Path) -> Path:
    """Make ``workdir`` a project folder: copy the shipped ``params/`` there unless it has its own."""
    workdir = Path(workdir)
    params = workdir / "params"
    if not params.is_dir():
        shutil.copytree(default_params_dir(), params)
    return params


def run_demo(
    workdir: str | Path = ".",
    out: str | Path | None = None,
    *,
    jobs: int = 2,
    seed: int = 2023,
    batches: list[str] | None = None,
    progress=None,
    fresh_kernels: bool = False,
):
    """The whole demo: inputs under ``WORKDIR/data/demo``, reports under ``out`` (default ``WORKDIR/outputs``)."""
    workdir = Path(workdir).resolve()
    params_dir = prepare_project(workdir)
    write_demo(workdir / "data" / "demo", seed=seed, params_dir=params_dir)
    files = batch_params_files(params_dir)
    if batches:
        files = [f for f in files if f.stem in batches]
    return run(files, out or workdir / "outputs", jobs=jobs, progress=progress, fresh_kernels=fresh_kernels)
