"""The demo year goes through publicity, planted review requests and certificates for every batch."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import fastexcel
import polars as pl
import pytest

from examkit.settings.policy import load_layout
from examkit.store.gradebook import Gradebook

ROOT = Path(__file__).resolve().parent.parent
PROVINCE_CODES = {"广东省": "44", "浙江省": "33", "四川省": "51", "山东省": "37"}  # GB/T 2260, by hand
LEVEL_CODES = {"junior": "1", "intermediate": "2", "senior": "3"}  # the shipped example layout


@pytest.fixture(scope="module")
def demo_year(demo_project):
    return demo_project.data, demo_project.year


def _norm_id(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def test_every_batch_reaches_certificates(demo_year):
    data_dir, demo = demo_year
    with Gradebook(data_dir / "gradebook.sqlite") as gb:
        for b in demo.notice.batches:
            stage = gb.stage(b.id, dt.date(2026, 11, 29))
            assert stage.code == "certified", b.id
            period = gb.publication(b.id)
            assert period.first_day > b.exam_date
            assert stage.issued_on == period.last_day + dt.timedelta(days=1)
        assert (data_dir / "publicity" / "publicity_2023-13.html").is_file()
        assert (data_dir / "certificates" / "certificates_2023-13.xlsx").is_file()


def test_planted_reviews(demo_year):
    data_dir, demo = demo_year
    planted = json.loads((data_dir / "planted.json").read_text(encoding="utf-8"))["reviews"]
    decided = [p for p in planted if "outcome" in p]
    flips = [p for p in decided if p["flip"]]
    assert len(decided) >= 3 and len(flips) == 1
    flip = flips[0]
    assert flip["flip"] == "fail_to_pass" and flip["old_total"] < demo.notice.pass_mark <= flip["new_total"]
    late = [p for p in planted if "refused" in p]
    assert len(late) == 1 and late[0]["refused"] is True
    with Gradebook(data_dir / "gradebook.sqlite") as gb:
        # the flipped candidate got a certificate in that batch
        reg = gb.certificate_register(flip["batch"])
        assert flip["candidate_no"] in reg.get_column("candidate_no").to_list()
        # the late request left no trace
        assert late[0]["candidate_no"] not in [r.candidate_no for r in gb.reviews(late[0]["batch"])]
        outcomes = [(r.batch, r.candidate_no, r.outcome) for b in demo.notice.batches for r in gb.reviews(b.id)]
    assert sorted(outcomes) == sorted((p["batch"], p["candidate_no"], p["outcome"]) for p in decided)


def test_certificates_follow_the_final_results(demo_year):
    """Expected holders by walking the year by hand: each batch's passers, minus people already certified for the level."""
    data_dir, demo = demo_year
    holders: dict[str, set[str]] = {lv: set() for lv in LEVEL_CODES}
    layout = load_layout()
    with Gradebook(data_dir / "gradebook.sqlite") as gb:
        everything = gb.certificate_register()
        for b in demo.notice.batches:
            ids = dict(gb.candidates(b.id).select("candidate_no", "id_number").iter_rows())
            passers = sorted(c for c, ok in gb.results(b.id).select("candidate_no", "passed").iter_rows() if ok)
            want, held = set(), set()
            for cand in passers:
                who = _norm_id(ids[cand])
                (held if who in holders[b.level] else want).add(cand)
                holders[b.level].add(who)
            reg = gb.certificate_register(b.id)
            assert set(reg.get_column("candidate_no")) == want, b.id
            book = fastexcel.read_excel(str(data_dir / "certificates" / f"certificates_{b.id}.xlsx"))
            listed = (
                set(book.load_sheet("已持有该等级证书", dtypes="string").to_polars()["考生号"])
                if "已持有该等级证书" in book.sheet_names
                else set()
            )
            assert listed == held, b.id
            # parts of each number: year, level code, province code, site
            for number, province, site in reg.select("certificate_no", "province", "site_code").rows():
                got = layout.parse(number)
                assert (got["year"], got["level_code"]) == (2023, LEVEL_CODES[b.level])
                assert (got["province_code"], got["site_code"]) == (PROVINCE_CODES[province], site)
    assert everything.get_column("certificate_no").n_unique() == everything.height
    # serials run 1 … n within each scope, across batches, with no gap or repeat
    serials = everything.with_columns(
        pl.col("certificate_no").str.slice(0, 12).alias("scope"),
        pl.col("certificate_no").str.slice(12).cast(pl.Int64).alias("serial"),
    )
    check = serials.group_by("scope").agg(pl.col("serial").sort().alias("s"), pl.len().alias("n"))
    for s, n in check.select("s", "n").rows():
        assert s == list(range(1, n + 1))


def test_report_section_shows_stage_and_reviews(demo_copy):
    from examkit.notebook.open import open_batch
    from examkit.report.publicity import publicity_report

    data_dir = demo_copy.data  # a copy: opening a session registers its candidates in the gradebook
    planted = json.loads((data_dir / "planted.json").read_text(encoding="utf-8"))["reviews"]
    flip = next(p for p in planted if p.get("flip"))
    session = open_batch(
        flip["batch"],
        lang="zh",
        registrations=str(data_dir / "registrations" / f"{flip['batch']}.xlsx"),
        gradebook=str(data_dir / "gradebook.sqlite"),
        settings_dir=str(ROOT / "params"),
    )
    html = str(publicity_report(session))
    assert "证书已发放" in html and flip["candidate_no"] in html and "不合格 → 合格" in html
