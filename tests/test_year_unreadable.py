"""Issue 17: a registrations file that cannot be read never vanishes from the year.

A year's folder holds 2023-01.xlsx (the fixture) and 2023-02.xlsx, which is not a workbook (text bytes).
``examkit fees`` names that file and why, keeps 2023-02 as unknown (not absent), does not set its
receipts aside with later batches', and exits 1; the session's fee and pass-rate inputs name it too.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from examkit.cli import main
from examkit.core.exceptions import InputError
from examkit.intake.registrations import load_registrations

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "data" / "fixture"
SECOND = "2023年第二次统考"  # how the fixture's bank memos name batch 2023-02


@pytest.fixture
def year(tmp_path) -> Path:
    folder = tmp_path / "registrations"
    folder.mkdir()
    shutil.copy(FIXTURE / "registrations" / "2023-01.xlsx", folder / "2023-01.xlsx")
    (folder / "2023-02.xlsx").write_bytes("考生号 this is not a workbook\n".encode())
    return folder


@pytest.fixture(scope="module")
def bank() -> list[dict]:
    with (FIXTURE / "payments.csv").open(encoding="gb18030") as fh:
        return list(csv.DictReader(fh))


def _reason(path: Path) -> str:
    """Why the file cannot be read, as examkit says it when the file is read on its own."""
    with pytest.raises(InputError) as exc:
        load_registrations(path)
    return str(exc.value)


def _fees(year: Path, *extra: str) -> list[str]:
    return ["fees", "--registrations", str(year), "--payments", str(FIXTURE / "payments.csv"),
            "--schools", str(FIXTURE / "schools.xlsx"), *extra]  # fmt: skip


def test_cli_names_the_file_and_its_reason_first_keeps_the_batch_unknown_and_exits_1(year, bank, capsys):
    assert main([*_fees(year), "--format", "json"]) == 1
    out = capsys.readouterr()
    first = out.err.splitlines()[0]
    assert "2023-02.xlsx" in first and _reason(year / "2023-02.xlsx") in first
    payload = json.loads(out.out)
    assert payload["unknown"] == ["2023-02"]
    assert [(u["file"], u["batch"]) for u in payload["unreadable"]] == [(str(year / "2023-02.xlsx"), "2023-02")]
    second = [r for r in payload["rows"] if r["batch"] == "2023-02"]
    paid_for_second = {r["院校代码"]: int(r["金额(元)"]) * 100 for r in bank if SECOND in r["摘要"]}
    assert {r["payer_code"]: r["paid_fen"] for r in second} == paid_for_second
    assert all(r["status"] == "unknown" and r["expected_fen"] is None and r["balance_fen"] is None for r in second)
    assert all("2023-02.xlsx" in r["note"] for r in second)
    assert payload["other_batches"] == []  # the year: nothing set aside


def test_narrowed_to_a_later_batch_the_unknown_batch_is_not_set_aside_with_later_ones(year, bank, capsys):
    assert main([*_fees(year, "--batch", "2023-03"), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["scope"] == ["2023-01", "2023-02", "2023-03"]
    aside = {r["_row"] for r in payload["other_batches"]}
    # bank rows are numbered as Excel shows them: header = row 1
    for row, r in enumerate(bank, start=2):
        later = not any(f"2023年第{n}次统考" in r["摘要"] for n in ("一", "二", "三"))
        assert (row in aside) == later, (row, r["摘要"])
    assert {r["batch"] for r in payload["rows"] if r["status"] == "unknown"} == {"2023-02"}


def test_a_folder_whose_every_file_is_readable_exits_0(year, capsys):
    (year / "2023-02.xlsx").unlink()
    assert main([*_fees(year), "--format", "csv"]) == 0
    assert "2023-02.xlsx" not in capsys.readouterr().err


def test_the_batch_reports_name_the_file_and_keep_its_batch_unknown(year):
    from examkit.report import passrates as report
    from examkit.report.fee_notes import rules_markdown
    from examkit.report.fee_statement import totals_view, unreadable_notice
    from examkit.session.batch import BatchSession

    session = BatchSession(
        "2023-03",
        params={
            "registrations_dir": str(year),
            "schools": str(FIXTURE / "schools.xlsx"),
            "payments": str(FIXTURE / "payments.csv"),
            "settings_dir": str(ROOT / "params"),
        },
    )
    reason = _reason(year / "2023-02.xlsx")
    fees = session.fees
    assert fees.scope == ("2023-01", "2023-02", "2023-03") and fees.unknown == ("2023-02",)
    assert "共 3 个批次" in rules_markdown(session.notice, fees.prices, fees.bill_absent, fees.scope, "zh")
    notice = unreadable_notice(fees, "zh")
    assert "2023-02.xlsx" in notice and "没有可识别的表头" in notice
    assert not fees.other_batches.filter(pl.col("named").list.contains("2023-02")).height
    year_so_far = totals_view(fees.by_batch(), "zh")
    assert year_so_far["批次"].to_list() == ["2023-01", "2023-02", "2023-03"]
    assert year_so_far.filter(pl.col("批次") == "2023-02")["应收(元)"].to_list() == [None]  # unknown, not ¥0.00

    inputs = session.passrates_inputs
    assert [(u.name, u.batch, u.reason) for u in inputs.unreadable] == [("2023-02.xlsx", "2023-02", reason)]
    shown = "\n".join(report.unreadable(session))
    assert "2023-02.xlsx" in shown and "没有可识别的表头" in shown
