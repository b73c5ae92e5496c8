"""``examkit publish`` / ``review`` / ``certificates``: the whole path from the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import fastexcel
import pytest
from factories import graded_gradebook

from examkit.cli import main
from examkit.core import publicity
from examkit.store.gradebook import Gradebook

B = "2023-01"


class Clock:
    """Today's date as the commands see it (Beijing time in real use), set by each test."""

    def __init__(self) -> None:
        self.day = dt.date(2023, 5, 1)

    def set(self, iso: str) -> None:
        self.day = dt.date.fromisoformat(iso)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(publicity, "today", lambda batch_id=None: c.day)
    return c


@pytest.fixture
def gbfile(tmp_path: Path) -> Path:
    path = tmp_path / "gb.sqlite"
    graded_gradebook(path, B).close()  # C001 passes (60), C002 59.5, C003 45, C004 absent
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_publish_review_certificates(gbfile, tmp_path, capsys, clock):
    g = ["--batch", B, "--gradebook", str(gbfile), "--by", "考务张"]
    rc, out, _ = run(capsys, "publish", *g, "--on", "2023-05-01", "--out", str(tmp_path / "pub"))
    assert rc == 0 and "2023-05-07" in out
    page = (tmp_path / "pub" / "publicity_2023-01.html").read_text(encoding="utf-8")
    assert "考生1" not in page and "考*1" in page  # names masked

    clock.set("2023-05-08")
    rc, _, err = run(
        capsys, "review", "request", *g, "--candidate", "C002", "--requested-by", "考生", "--on", "2023-05-08"
    )
    assert rc == 2 and "2023-05-07" in err and "Traceback" not in err

    clock.set("2023-05-07")
    rc, out, _ = run(
        capsys, "review", "request", *g, "--candidate", "C002", "--requested-by", "考生", "--on", "2023-05-07"
    )
    assert rc == 0 and "#1" in out

    clock.set("2023-05-09")
    rc, _, err = run(capsys, "certificates", *g, "--on", "2023-05-08", "--out", str(tmp_path / "cert"))
    assert rc == 2 and "#1" in err  # an open review blocks issuing

    rc, out, _ = run(capsys, "review", "decide", *g, "--id", "1", "--set", "服务规范与礼仪=9")
    assert rc == 0 and "59.5 → 60" in out and "不合格 → 合格" in out

    rc, out, _ = run(capsys, "--lang", "en", "review", "list", *g, "--format", "csv")
    assert rc == 0 and out.splitlines()[1].startswith("1,C002,2023-05-07,59.5,60,Changed,fail → pass")

    rc, _, err = run(capsys, "--lang", "zh", "certificates", *g, "--on", "2023-05-07")
    assert rc == 2 and "2023-05-08" in err

    rc, out, _ = run(capsys, "certificates", *g, "--on", "2023-05-08", "--out", str(tmp_path / "cert"))
    assert rc == 0 and "2" in out
    sheet = fastexcel.read_excel(str(tmp_path / "cert" / "certificates_2023-01.xlsx")).load_sheet(0).to_polars()
    assert sheet["证书编号"].to_list() == ["202314444001000001", "202314444001000002"]
    assert sheet["姓名"].to_list() == ["考生1", "考生2"]  # the platform's copy is complete

    rc, out, _ = run(capsys, "certificates", *g, "--on", "2023-05-09", "--out", str(tmp_path / "cert"))
    assert rc == 0 and "0" in out
    with Gradebook(gbfile) as gb:
        assert gb.certificate_register(B).height == 2


def test_bad_inputs_are_refused_without_traceback(gbfile, capsys, clock):
    g = ["--batch", B, "--gradebook", str(gbfile)]
    rc, _, err = run(capsys, "publish", *g, "--on", "5/1/2023x")
    assert rc == 2 and "YYYY-MM-DD" in err
    rc, _, err = run(capsys, "publish", "--batch", B, "--params", "nowhere/2023-01.yaml", "--on", "2023-05-01")
    assert rc == 2 and "nowhere" in err
    run(capsys, "publish", *g, "--on", "2023-05-01", "--out", str(gbfile.parent / "pub"))
    rc, _, err = run(capsys, "review", "decide", *g, "--id", "7")
    assert rc == 2 and "7" in err
    clock.set("2023-05-02")
    run(capsys, "review", "request", *g, "--candidate", "C003", "--requested-by", "考生", "--on", "2023-05-02")
    rc, _, err = run(capsys, "review", "decide", *g, "--id", "1", "--set", "J1")
    assert rc == 2 and "J1" in err
