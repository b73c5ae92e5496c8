"""The pass-rate report over a generated demo year: true numbers, every section, no personal data."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from examkit.analysis import passrates as an
from examkit.core.notice import load_notice
from examkit.report import passrates as report

ROOT = Path(__file__).resolve().parents[1]
NOTICE = load_notice(2023)
BATCH = "2023-05"  # the third junior batch: earlier junior batches 2023-01 and 2023-03 give retakes


@pytest.fixture(scope="module")
def demo(demo_project):
    return demo_project.data, demo_project.year


@pytest.fixture(scope="module")
def session(demo):
    from examkit.notebook.open import open_batch

    folder, _ = demo
    return open_batch(
        BATCH,
        registrations=str(folder / "registrations" / f"{BATCH}.xlsx"),
        registrations_dir=str(folder / "registrations"),
        schools=str(folder / "schools.xlsx"),
        gradebook=str(folder / "gradebook.sqlite"),
        scores=str(folder / "scores" / f"{BATCH}.xlsx"),
        settings_dir=str(ROOT / "params"),
    )


def _norm_id(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def expected_from_generator(year) -> list[dict]:
    """Outcomes straight from the generator's memory (not from any file or examkit analytics)."""
    excluded = {(p["batch"], p["candidate_no"]) for p in year.planted.get("registrations", []) if p.get("excluded")}
    rows = []
    for b in sorted(year.registrations):
        if b > BATCH:
            continue
        for c in year.registrations[b]:
            if (b, c.candidate_no) in excluded:
                continue
            sc = year.scores[b][c.candidate_no]
            total = round(sum(sc["marks"].values()), 2)
            rows.append(
                {
                    "batch": b,
                    "level": c.level,
                    "id": _norm_id(c.id_number),
                    "sat": sc["status"] != "absent",
                    "passed": sc["status"] == "graded" and total >= NOTICE.pass_mark,
                }
            )
    return rows


def test_year_so_far_matches_the_generator(demo, session) -> None:
    _, year = demo
    rows = expected_from_generator(year)
    got = an.pass_rates(session.year_results, ["batch"], session.analytics_policy)
    want = Counter()
    for r in rows:
        want[(r["batch"], "registered")] += 1
        want[(r["batch"], "sat")] += r["sat"]
        want[(r["batch"], "passed")] += r["passed"]
    assert got["batch"].to_list() == ["2023-01", "2023-02", "2023-03", "2023-04", "2023-05"]
    for r in got.iter_rows(named=True):
        for k in ("registered", "sat", "passed"):
            assert r[k] == want[(r["batch"], k)], (r["batch"], k)


def test_retakes_match_a_plain_loop_over_the_generator(demo, session) -> None:
    _, year = demo
    prior: Counter = Counter()
    want: Counter = Counter()
    for r in expected_from_generator(year):  # batches in order
        kind = "retake" if prior[(r["id"], r["level"])] else "first"
        want[(kind, "registered")] += 1
        want[(kind, "sat")] += r["sat"]
        want[(kind, "passed")] += r["passed"]
        prior[(r["id"], r["level"])] += r["sat"]
    got = {
        r["attempt"]: r for r in an.retake_rates(session.year_results, session.analytics_policy).iter_rows(named=True)
    }
    assert want[("retake", "registered")] > 0  # the demo year has retakes by this batch
    for kind in ("first", "retake"):
        for k in ("registered", "sat", "passed"):
            assert got[kind][k] == want[(kind, k)], (kind, k)


def test_every_section_has_a_heading_and_computed_content(session) -> None:
    sections = [
        report.definitions(session),
        report.headline(session),
        *[report.by_group(session, d) for d in report.BATCH_DIMENSIONS],
        report.by_group(session, "level", year=True),
        report.distribution(session),
        report.items(session),
        report.trend(session),
        report.retakes(session),
        report.registration_check(session),
    ]
    for parts in sections:
        assert parts[0]._repr_markdown_().startswith("## ")
        assert len(parts) >= 2
    charts = [p for parts in sections for p in parts if isinstance(p, alt.TopLevelMixin)]
    assert len(charts) == 9  # 4 batch dimensions, level, histogram, heatmap, trend, retakes
    headline = str(report.headline(session)[1])
    overall = an.pass_rates(session.batch_results, [], session.analytics_policy).row(0, named=True)
    assert f"报名 {overall['registered']} 人" in headline and f"通过 {overall['passed']} 人" in headline
    defs = str(report.definitions(session)[1])
    assert f"{NOTICE.pass_mark} 分即合格" in defs and f"少于 {session.analytics_policy.small_group_min_sat} 人" in defs


def test_report_carries_no_personal_data(session) -> None:
    cands = session.year_results
    names = set(cands["name"].drop_nulls().to_list())
    ids = set(cands["id_number"].drop_nulls().to_list())
    text = []
    for parts in (
        report.headline(session),
        *[report.by_group(session, d) for d in report.BATCH_DIMENSIONS],
        report.distribution(session),
        report.items(session),
        report.trend(session),
        report.retakes(session),
    ):
        for p in parts:
            text.append(json.dumps(p.to_dict(), ensure_ascii=False) if isinstance(p, alt.TopLevelMixin) else str(p))
    blob = "\n".join(text)
    assert not any(n in blob for n in names if len(n) >= 2)
    assert not any(i in blob for i in ids)


def test_small_groups_are_not_ranked_in_tables(session) -> None:
    rates = report.grouped(session, session.batch_results, ["school_code"])
    small = rates.filter(pl.col("small_group"))
    assert small["rank"].null_count() == small.height
    assert small["pass_rate"].null_count() == small.height
    shown = report.rates_table(rates, "zh")
    assert (shown.filter(pl.col("排名").is_null())["通过率"] == "—（人数少）").all()
