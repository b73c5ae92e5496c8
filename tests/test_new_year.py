"""A new exam year in one command: the next notice, imported with the CLI, is used like the shipped one.

Every input (the notice, registrations, payments, params) is written here; nothing in the package
names 2025, and the 2025 notice has another layout, other fees, other durations and 8 batches, not 13.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
import yaml

from examkit.cli import main
from examkit.core import idcard
from examkit.core.exceptions import NoticeError
from examkit.core.i18n import set_lang
from examkit.core.notice import _parse, available_years, clear_notice_dirs, load_notice, notice_dirs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTICE_2023 = HERE / "notice_2023.txt"
SHIPPED_2023 = ROOT / "examkit" / "data" / "notice_2023.yaml"

# The 2025 notice as a site would paste it from the web page: runs of spaces, 至, 2025年4月12日,
# afternoon sittings, a row number before each batch, fees 350/350/380, a longer senior exam.
NOTICE_2025 = """\
关于发布 2025 年“1+X 呼叫中心客户服务与管理职业技能等级证书”统考时间的通知

各试点院校：

    现将 2025 年呼叫中心客户服务与管理职业技能等级证书考试安排通知如下。

一、考试时间与级别

序号  考试批次              等级    考试时间                       报名时间
1     2025年第一次统考      初级    2025年4月12日 14:00至17:00     2025年3月1日至2025年3月31日
2     2025年第二次统考      中级    2025年4月12日 9:00至12:00      2025年3月1日至2025年3月31日
3     2025年第三次统考      初级    2025年5月17日 14:00至17:00     2025年4月7日至2025年5月7日
4     2025年第四次统考      中级    2025年5月17日 9:00至12:00      2025年4月7日至5月7日
5     2025年第五次统考      高级    2025年6月14日 9:00至12:00      2025年5月6日至2025年6月4日
6     2025年第六次统考      初级    2025年11月15日 14:00至17:00    2025年10月8日至2025年11月5日
7     2025年第七次统考      中级    2025年11月15日 9:00至12:00     2025年10月8日至2025年11月5日
8     2025年第八次统考      高级    2025年12月13日 9:00至12:00     2025年11月3日至2025年12月3日

二、考试费用

初级：350 元/人次；中级：350 元/人次；高级：380 元/人次。已公示的省份，以省内公示的定价执行。

三、考试形式及内容

1. 考试形式：初级、中级考核均采用实操考核方式，考核时长为 180 分钟；高级考核采用理论+实操的方式进行，考核时长为 210 分钟。

2. 评定标准：考试成绩总分 100 分，考核成绩达到 60 分（含）以上为合格。

北京华唐中科科技集团有限公司

2025年1月20日
"""
# What those rows mean, typed independently, as ``examkit schedule --format csv`` prints them.
SCHEDULE_2025 = [
    "batch,level,exam_start,exam_end,registration_open,registration_close,fee_cny,form,duration_min",
    "2025-01,junior,2025-04-12T14:00,2025-04-12T17:00,2025-03-01,2025-03-31,350,practical,180",
    "2025-02,intermediate,2025-04-12T09:00,2025-04-12T12:00,2025-03-01,2025-03-31,350,practical,180",
    "2025-03,junior,2025-05-17T14:00,2025-05-17T17:00,2025-04-07,2025-05-07,350,practical,180",
    "2025-04,intermediate,2025-05-17T09:00,2025-05-17T12:00,2025-04-07,2025-05-07,350,practical,180",
    "2025-05,senior,2025-06-14T09:00,2025-06-14T12:00,2025-05-06,2025-06-04,380,theory+practical,210",
    "2025-06,junior,2025-11-15T14:00,2025-11-15T17:00,2025-10-08,2025-11-05,350,practical,180",
    "2025-07,intermediate,2025-11-15T09:00,2025-11-15T12:00,2025-10-08,2025-11-05,350,practical,180",
    "2025-08,senior,2025-12-13T09:00,2025-12-13T12:00,2025-11-03,2025-12-03,380,theory+practical,210",
]
BATCHES_2025 = [line.split(",")[0] for line in SCHEDULE_2025[1:]]


@pytest.fixture(autouse=True)
def _isolated():
    """Chinese messages, and only the shipped notices: a temp project's notices must not leak into other tests."""
    set_lang("zh")
    clear_notice_dirs()
    yield
    clear_notice_dirs()
    set_lang("zh")


def cli(capsys, *argv: object) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


@pytest.fixture
def project(tmp_path, capsys) -> Path:
    """A new project whose ``params/`` the 2025 notice was imported into with the CLI."""
    notice = tmp_path / "通知2025.txt"
    notice.write_text(NOTICE_2025, encoding="utf-8")
    rc, out, err = cli(capsys, "notice", "import", notice, "--params-dir", tmp_path / "params")
    assert (rc, err) == (0, ""), err
    assert out.count("已写入") == 1 + len(BATCHES_2025)
    clear_notice_dirs()  # what follows finds the notice through --params-dir or the params file only
    return tmp_path


# --------------------------------------------------------------------------- 2023: the shipped data


def test_importing_the_2023_notice_with_the_cli_gives_the_shipped_data(tmp_path, capsys):
    params = tmp_path / "params"
    rc, out, err = cli(capsys, "notice", "import", NOTICE_2023, "--params-dir", params)
    assert (rc, err) == (0, "")
    written = yaml.safe_load((params / "notices" / "notice_2023.yaml").read_text(encoding="utf-8"))
    shipped = yaml.safe_load(SHIPPED_2023.read_text(encoding="utf-8"))
    for key in ("year", "title", "issuer", "issued_on", "timezone", "full_mark", "pass_mark"):
        assert written[key] == shipped[key], key
        assert type(written[key]) is type(shipped[key]), key
    assert list(written["levels"]) == list(shipped["levels"])
    for code, level in shipped["levels"].items():
        for field, value in level.items():
            assert written["levels"][code][field] == value, (code, field)
            assert type(written["levels"][code][field]) is type(value), (code, field)
    assert len(written["batches"]) == len(shipped["batches"])
    for got, want in zip(written["batches"], shipped["batches"], strict=True):
        assert list(got) == list(want)
        for field, value in want.items():
            assert got[field] == value, (want["batch"], field)
            assert type(got[field]) is type(value), (want["batch"], field)
    assert written["source"] == {
        "file": "notice_2023.txt",
        "sha256": hashlib.sha256(NOTICE_2023.read_bytes()).hexdigest(),
    }
    assert {k: v for k, v in written.items() if k != "source"} == shipped

    # the schedule was printed to check by eye, and every written file named
    assert "2023年第十三次统考" in out and "2023-12-25 09:00-12:00" in out
    batch_files = sorted(p.name for p in params.glob("2023-*.yaml"))
    assert batch_files == [f"2023-{i:02d}.yaml" for i in range(1, 14)]
    assert all(str(params / name) in out for name in batch_files)
    # the imported copy is now the one read for 2023, and it is the same notice
    assert (params / "notices").resolve() == notice_dirs()[0]
    assert load_notice(2023) == _parse(shipped)

    # importing again changes nothing and says so
    before = {p: p.read_bytes() for p in files_under(params)}
    rc, out, _ = cli(capsys, "notice", "import", NOTICE_2023, "--params-dir", params)
    assert rc == 0 and "已写入" not in out and out.count("已存在，未改动") == 14
    assert {p: p.read_bytes() for p in files_under(params)} == before


# --------------------------------------------------------------------------- 2025: a later year, another layout


def test_2025_schedule_from_the_imported_notice(project, capsys):
    params = project / "params"
    rc, out, err = cli(capsys, "schedule", "--year", 2025, "--params-dir", params, "--format", "csv")
    assert (rc, err) == (0, "")
    assert out.splitlines() == SCHEDULE_2025
    # the latest year is the default
    rc, out, _ = cli(capsys, "schedule", "--params-dir", params, "--format", "json")
    assert rc == 0 and [r["batch"] for r in json.loads(out)] == BATCHES_2025
    # without the project's params folder, 2025 is unknown
    clear_notice_dirs()
    rc, _, err = cli(capsys, "schedule", "--year", 2025)
    assert rc == 2 and "2025" in err


def test_2025_params_files_per_batch(project):
    params = project / "params"
    assert sorted(p.stem for p in params.glob("*.yaml")) == BATCHES_2025
    senior, junior = (
        yaml.safe_load((params / f"{b}.yaml").read_text(encoding="utf-8")) for b in ("2025-05", "2025-01")
    )
    assert senior["batch"] == "2025-05" and senior["theory_key"] == "data/2025/theory/2025-05-key.xlsx"
    assert junior["registrations"] == "data/2025/registrations/2025-01.xlsx" and "theory_key" not in junior


def test_a_batch_session_finds_its_years_notice_through_its_params_folder(project):
    from examkit.session.batch import BatchSession

    assert 2025 not in available_years()
    session = BatchSession("2025-05", params={"settings_dir": str(project / "params")})
    assert 2025 in available_years()
    assert session.batch.exam_start == dt.datetime(2025, 6, 14, 9, 0)
    assert session.notice.levels["senior"].fee_fen == 38000
    assert session.notice.levels["senior"].duration_min == 210


REG_2025 = {  # candidate_no → batch, level, registered on (2025-01: 2025-03-01 ~ 03-31; 2025-05: 05-06 ~ 06-04)
    "2501440010001": ("2025-01", "初级", "2025-03-01"),
    "2501440010002": ("2025-01", "初级", "2025-03-31"),
    "2501440010003": ("2025-01", "初级", "2025-04-01"),  # a day after the window closed
    "2505440010001": ("2025-05", "高级", "2025-05-20"),
}


def write_registrations(project: Path) -> Path:
    """One csv per batch under ``data/2025/registrations``, headed as ``params/columns.yaml`` says."""
    kinds = yaml.safe_load((ROOT / "params" / "columns.yaml").read_text(encoding="utf-8"))["kinds"]
    columns = kinds["registrations"]
    folder = project / "data" / "2025" / "registrations"
    folder.mkdir(parents=True)
    by_batch: dict[str, list[dict]] = {}
    for i, (number, (batch, level, day)) in enumerate(REG_2025.items(), start=1):
        row = {
            "candidate_no": number,
            "name": f"考生{i}",
            "id_number": idcard.make("440106", dt.date(2005, 3, i), i),
            "candidate_type": "试点院校学生",
            "school_code": "44001",
            "school_name": "广州南方职业技术学院",
            "province": "广东省",
            "site_code": "44001",
            "batch": batch,
            "level": level,
            "registered_on": day,
            "phone": "",
        }
        by_batch.setdefault(batch, []).append(row)
    for batch, rows in by_batch.items():
        with (folder / f"{batch}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([spec["headers"][0] for spec in columns.values()])
            w.writerows([[row[key] for key in columns] for row in rows])
    return folder


def test_2025_validate_uses_the_imported_windows(project, capsys):
    regs = write_registrations(project)
    params = project / "params"
    rc, out, _ = cli(capsys, "validate", regs / "2025-05.csv", "--params-dir", params, "--format", "json")
    assert rc == 0 and [f for f in json.loads(out) if f["severity"] == "error"] == []

    rc, out, _ = cli(capsys, "validate", regs / "2025-01.csv", "--params-dir", params, "--format", "json")
    assert rc == 1
    errors = [f for f in json.loads(out) if f["severity"] == "error"]
    assert [(f["row"], f["rule"], f["value"]) for f in errors] == [(4, "window", "2025-04-01")]
    assert "2025-03-01" in errors[0]["message"] and "2025-03-31" in errors[0]["message"]


def test_2025_fees_bill_the_imported_fees(project, capsys):
    regs = write_registrations(project)
    payments = project / "data" / "2025" / "payments.csv"
    payments.write_text(
        "付款单位,院校代码,金额(元),到账日期,摘要\n广州南方职业技术学院,44001,700.00,2025-04-01,2025年第一次统考考试费\n",
        encoding="utf-8",
    )
    argv = ["fees", "--registrations", regs, "--payments", payments, "--params-dir", project / "params"]
    rc, out, err = cli(capsys, *argv, "--format", "csv")
    assert rc == 0, err
    rows = {r["batch"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {"2025-01", "2025-05"}
    # 2025-01: two valid registrations (the late one is not billed) at 350 yuan
    assert (rows["2025-01"]["person_times"], rows["2025-01"]["unit_price_fen"]) == ("2", "35000")
    assert (rows["2025-01"]["expected_fen"], rows["2025-01"]["status"]) == ("70000", "paid")
    assert (rows["2025-05"]["unit_price_fen"], rows["2025-05"]["expected_fen"]) == ("38000", "38000")


@pytest.mark.slow
def test_2025_pass_rates_notebook_runs(project):
    from examkit.run.runner import run, summarize

    write_registrations(project)
    params = project / "params" / "2025-01.yaml"
    params.write_text(
        'batch: "2025-01"\nlang: zh\n'
        "registrations: data/2025/registrations/2025-01.csv\n"
        "registrations_dir: data/2025/registrations\n"
        "gradebook: data/2025/gradebook.sqlite\n",
        encoding="utf-8",
    )
    out = project / "outputs"
    report = run([params], out, notebooks=("pass_rates",), jobs=1)
    assert report.ok, summarize(report)
    html = (out / "2025-01" / "pass_rates.html").read_text(encoding="utf-8")
    assert "2025年第一次统考" in html and "2025-04-12 14:00" in html


# --------------------------------------------------------------------------- what is refused, and --dry-run


def test_dry_run_writes_nothing(tmp_path, capsys):
    notice = tmp_path / "notice.txt"
    notice.write_text(NOTICE_2025, encoding="utf-8")
    params = tmp_path / "params"
    rc, out, err = cli(capsys, "notice", "import", notice, "--params-dir", params, "--dry-run")
    assert (rc, err) == (0, "")
    assert "2025年第八次统考" in out and "试运行" in out
    rc, out, _ = cli(capsys, "notice", "import", notice, "--params-dir", params, "--dry-run", "--format", "json")
    payload = json.loads(out)
    assert rc == 0 and payload["dry_run"] and payload["written"] == payload["kept"] == []
    assert [r["batch"] for r in payload["rows"]] == BATCHES_2025
    assert not params.exists() and files_under(tmp_path) == {notice}


def _line_of(text: str, fragment: str) -> int:
    return next(i + 1 for i, s in enumerate(text.split("\n")) if fragment in s)


@pytest.mark.parametrize(
    "broken",
    [
        # the table's rows are gone: the header line is named
        "\n".join(s for s in NOTICE_2025.split("\n") if "统考 " not in s),
        # a row lost its level
        NOTICE_2025.replace("2025年第三次统考      初级", "2025年第三次统考          "),
    ],
    ids=["no-rows", "row-without-level"],
)
def test_a_broken_notice_is_refused_naming_the_line(tmp_path, capsys, broken):
    notice = tmp_path / "notice.txt"
    notice.write_text(broken, encoding="utf-8")
    params = tmp_path / "params"
    rc, out, err = cli(capsys, "notice", "import", notice, "--params-dir", params)
    line = _line_of(broken, "序号") if "第三次" not in broken else _line_of(broken, "2025年第三次统考")
    assert rc == 2 and out == ""
    assert f"第 {line} 行" in err and "Traceback" not in err
    assert not params.exists()


def test_a_notice_without_any_table(tmp_path, capsys):
    notice = tmp_path / "notice.txt"
    notice.write_text("关于发布 2025 年考试安排的通知\n\n考试时间另行通知。", encoding="utf-8")
    rc, out, err = cli(capsys, "notice", "import", notice, "--params-dir", tmp_path / "params")
    assert rc == 2 and out == "" and "考试计划表" in err and "3 行" in err
    assert not (tmp_path / "params").exists()


def test_an_unknown_year_is_still_unknown(project, capsys):
    rc, out, err = cli(capsys, "schedule", "--year", 2031, "--params-dir", project / "params")
    assert rc == 2 and out == ""
    assert "2031" in err and "2023, 2025" in err


def test_a_broken_notice_file_names_the_file_and_key(project, capsys):
    notices = project / "params" / "notices"
    data = yaml.safe_load((notices / "notice_2025.yaml").read_text(encoding="utf-8"))
    del data["pass_mark"]
    data["year"] = 2026
    (notices / "notice_2026.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rc, _, err = cli(capsys, "schedule", "--year", 2026, "--params-dir", project / "params")
    assert rc == 2 and str(notices / "notice_2026.yaml") in err and "pass_mark" in err
    good = {**data, "year": 2025, "pass_mark": 60}
    with pytest.raises(NoticeError, match=r"batches\[2\]\.level"):
        _parse({**good, "batches": [good["batches"][0], {**good["batches"][1], "level": "expert"}]})
    with pytest.raises(NoticeError, match=r"batches\[1\]\.batch"):  # a batch id must carry the notice's year
        _parse({**good, "year": 2026})
    (notices / "notice_2027.yaml").write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    rc, _, err = cli(capsys, "schedule", "--year", 2027, "--params-dir", project / "params")
    assert rc == 2 and "notice_2027.yaml" in err and "2025" in err  # the file's own year differs from its name


def test_import_help_comes_from_the_catalog(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["notice", "import", "-h"])
    assert exc.value.code == 0
    assert "只读取并显示考试计划，不写入任何文件" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--lang", "en", "notice", "import", "-h"])
    out = capsys.readouterr().out
    assert "read and show the schedule only; write nothing" in out and "不写入" not in out
