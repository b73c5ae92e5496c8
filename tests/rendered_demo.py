"""Rendered reports shared by the report tests (privacy scan, browser): built once per test run.

The committed fixture batch (``data/fixture``, batch 2023-01) through the real runner: all three
notebooks and the index in Chinese, and the pass-rate report again in English. The gradebook is
created in a temporary folder; nothing under ``data/`` is written. Set ``EXAMKIT_REPORTS_DIR`` to an
existing outputs folder (e.g. the whole demo year from ``examkit demo``) to check that instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "data" / "fixture"
BATCH = "2023-01"
_built: dict[str, Path] = {}


def _project(work: Path, lang: str) -> Path:
    """A project folder whose ``params/2023-01.yaml`` points at the committed fixture."""
    params = work / "params"
    params.mkdir(parents=True)
    values = {
        "batch": BATCH,
        "lang": lang,
        "registrations": str(FIXTURE / "registrations" / f"{BATCH}.xlsx"),
        "registrations_dir": str(FIXTURE / "registrations"),
        "schools": str(FIXTURE / "schools.xlsx"),
        "payments": str(FIXTURE / "payments.csv"),
        "gradebook": str(work / "gradebook.sqlite"),
        "scores": str(FIXTURE / "scores" / f"{BATCH}.xlsx"),
        "settings_dir": str(ROOT / "params"),
    }
    target = params / f"{BATCH}.yaml"
    target.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def _run(tmp_path_factory, key: str, lang: str, notebooks: tuple[str, ...] | None) -> Path:
    if key not in _built:
        from examkit.execute import run, summarize
        from examkit.resources import NOTEBOOKS

        work = tmp_path_factory.mktemp(f"reports-{key}")
        report = run([_project(work, lang)], work / "outputs", jobs=2, notebooks=notebooks or NOTEBOOKS, progress=False)
        assert report.ok, summarize(report)
        _built[key] = report.out_dir
    return _built[key]


def rendered_demo(tmp_path_factory) -> Path:
    """The outputs folder holding ``index.html`` and ``<batch>/<notebook>.html`` (Chinese)."""
    given = os.environ.get("EXAMKIT_REPORTS_DIR")
    if given:
        return Path(given)
    return _run(tmp_path_factory, "zh", "zh", None)


def rendered_english(tmp_path_factory) -> Path | None:
    """An outputs folder with the pass-rate report in English (None when checking a given folder)."""
    if os.environ.get("EXAMKIT_REPORTS_DIR"):
        return None
    return _run(tmp_path_factory, "en", "en", ("pass_rates",))


def report_files(out: Path) -> list[Path]:
    """Every rendered report under ``out`` (not the index)."""
    return sorted(p for p in out.glob("*/*.html"))
