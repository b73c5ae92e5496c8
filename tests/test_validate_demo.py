"""Done-when of registration validation: ``examkit validate`` on every demo file reports exactly what was planted."""

from __future__ import annotations

import contextlib
import io
import json
import unicodedata
from pathlib import Path

import pytest

from examkit.cli import main
from examkit.core.i18n import set_lang
from examkit.session.batch import BatchSession


@pytest.fixture(scope="module")
def demo(demo_project):
    data = demo_project.data
    planted = json.loads((data / "planted.json").read_text(encoding="utf-8"))
    return data, planted


def _validate(path: Path, schools: Path, *extra: str) -> tuple[int, list[dict]]:
    set_lang("zh")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["validate", str(path), "--schools", str(schools), "--format", "json", *extra])
    return rc, json.loads(out.getvalue())


def test_every_kind_of_mistake_is_planted(demo):
    _, planted = demo
    rules = {p["rule"] for p in planted["registrations"]}
    assert rules >= {
        "id_checksum",
        "id_format",
        "window",
        "level_mismatch",
        "duplicate",
        "school_not_pilot",
        "school_not_filed",
        "teacher_not_trained",
        "site_not_pilot",
        "unknown_school",
        "unknown_batch",
        "missing_value",
        "bad_date",
        "bad_type",
        "age_unusual",
        "already_passed",
    }
    for p in planted["registrations"]:
        assert p["excluded"] == (p["severity"] == "error")


def test_validate_reports_exactly_the_planted_mistakes(demo):
    data, planted = demo
    files = sorted((data / "registrations").iterdir())
    assert len(files) == 13
    for f in files:
        # earlier passes come from the gradebook: the "already passed" warning needs it
        rc, findings = _validate(f, data / "schools.xlsx", "--gradebook", str(data / "gradebook.sqlite"))
        got = sorted((x["row"], x["column"], x["rule"], x["severity"]) for x in findings)
        expected = sorted(
            (p["row"], p["column"], p["rule"], p["severity"]) for p in planted["registrations"] if p["file"] == f.name
        )
        assert got == expected, f.name
        assert rc == (1 if any(p[3] == "error" for p in expected) else 0)
        # without the gradebook, everything but that warning
        _, findings = _validate(f, data / "schools.xlsx")
        got = sorted((x["row"], x["column"], x["rule"], x["severity"]) for x in findings)
        assert got == [e for e in expected if e[2] != "already_passed"], f.name


def test_hand_typing_noise_is_read_as_meant(demo):
    data, planted = demo
    noise = planted["registration_noise"]
    assert {n["column"] for n in noise} >= {"考生号", "姓名", "报名日期", "手机号", "批次", "身份证号"}
    by_file: dict[str, list[dict]] = {}
    for n in noise:
        by_file.setdefault(n["file"], []).append(n)
    for name, entries in by_file.items():
        batch = name.split(".")[0]
        s = BatchSession(
            batch_id=batch,
            params={"registrations": str(data / "registrations" / name), "schools": str(data / "schools.xlsx")},
        )
        frame = s.registrations.frame
        for n in entries:
            row = frame.filter(frame["_row"] == n["row"])
            assert row.height == 1, n  # kept, not excluded
            written = n["written"]
            if n["column"] == "考生号":
                assert row["candidate_no"][0] == unicodedata.normalize("NFKC", written)
            elif n["column"] == "身份证号":
                assert row["id_number"][0] == written.upper()
            elif n["column"] == "手机号":
                assert row["phone"][0] == written.replace(" ", "")
            elif n["column"] == "姓名":
                assert row["name"][0] == written.strip().replace("\u00a0", "").replace("\u3000", "")
            elif n["column"] == "批次":
                assert row["batch"][0] == batch


def test_session_excludes_the_planted_errors(demo):
    data, planted = demo
    name = "2023-01.xlsx"
    s = BatchSession(
        batch_id="2023-01",
        params={
            "registrations": str(data / "registrations" / name),
            "registrations_dir": str(data / "registrations"),
            "schools": str(data / "schools.xlsx"),
            "gradebook": str(data / "gradebook.sqlite"),
        },
    )
    excluded = sorted(
        (p["row"], p["candidate_no"]) for p in planted["registrations"] if p["file"] == name and p["excluded"]
    )
    assert sorted(s.registrations.excluded.select("_row", "candidate_no").rows()) == excluded
    assert set(s.year_registrations.frame["batch"]) == {"2023-01"}
