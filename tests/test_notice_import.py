"""Importing a published notice: the 2023 text gives the shipped data; other layouts, formats and broken notices."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from html import escape
from pathlib import Path

import pytest
import yaml

from examkit.core.exceptions import NoticeError
from examkit.core.i18n import set_lang
from examkit.core.notice import _parse
from examkit.intake.notice_text import notice_lines, parse_notice, parse_notice_file, schedule_headers, schedule_table
from examkit.io.notice_files import DEFAULT_PARAMS_TEMPLATE, write_notice
from examkit.settings.params import load_batch_params

HERE = Path(__file__).resolve().parent
NOTICE_2023 = HERE / "notice_2023.txt"
SHIPPED_2023 = HERE.parent / "examkit" / "data" / "notice_2023.yaml"
TEXT_2023 = NOTICE_2023.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _chinese():
    set_lang("zh")
    yield
    set_lang("zh")


def parse_text(text: str, **kwargs) -> dict:
    return parse_notice(text.split("\n"), "notice.txt", "0" * 64, **kwargs)


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line containing ``fragment``."""
    return next(i + 1 for i, s in enumerate(text.split("\n")) if fragment in s)


# --- 2023: the notice's own text gives exactly the shipped data -----------------------------------


def test_2023_text_gives_the_shipped_notice_field_by_field():
    parsed = parse_notice_file(NOTICE_2023)
    shipped = yaml.safe_load(SHIPPED_2023.read_text(encoding="utf-8"))
    for key in ("year", "title", "issuer", "issued_on", "timezone", "full_mark", "pass_mark"):
        assert parsed[key] == shipped[key], key
        assert type(parsed[key]) is type(shipped[key]), key
    assert list(parsed["levels"]) == list(shipped["levels"])
    for code, level in shipped["levels"].items():
        for field, value in level.items():
            assert parsed["levels"][code][field] == value, (code, field)
            assert type(parsed["levels"][code][field]) is type(value), (code, field)
    assert [b["batch"] for b in parsed["batches"]] == [b["batch"] for b in shipped["batches"]]
    for got, want in zip(parsed["batches"], shipped["batches"], strict=True):
        assert list(got) == list(want)
        for field, value in want.items():
            assert got[field] == value, (want["batch"], field)
            assert type(got[field]) is type(value), (want["batch"], field)
    assert parsed["source"] == {
        "file": "notice_2023.txt",
        "sha256": hashlib.sha256(NOTICE_2023.read_bytes()).hexdigest(),
    }
    assert {k: v for k, v in parsed.items() if k != "source"} == shipped


def test_2023_values_read_from_the_text():
    parsed = parse_notice_file(NOTICE_2023)
    assert [parsed["levels"][c]["fee_cny"] for c in ("junior", "intermediate", "senior")] == [340, 340, 360]
    assert (parsed["full_mark"], parsed["pass_mark"]) == (100, 60)
    assert parsed["issued_on"] == dt.date(2023, 2, 22)
    b13 = parsed["batches"][-1]
    assert (b13["batch"], b13["level"], b13["exam_end"]) == ("2023-13", "senior", "2023-12-25T12:00")
    assert (b13["registration_open"], b13["registration_close"]) == (dt.date(2023, 11, 10), dt.date(2023, 12, 15))
    assert _parse(parsed).batch("2023-05").registration_open == dt.date(2023, 5, 5)


def test_signature_missing_falls_back_to_the_callers_values():
    text = TEXT_2023.replace("北京华唐中科科技集团有限公司\n", "").replace("2023年2月22日\n", "")
    bare = parse_text(text)
    assert "issuer" not in bare and "issued_on" not in bare
    with pytest.raises(NoticeError, match="issuer"):  # notice._parse needs both keys, and says which
        _parse(bare)
    given = parse_text(text, issuer="某公司", issued_on="2023-02-20")
    assert (given["issuer"], given["issued_on"]) == ("某公司", dt.date(2023, 2, 20))
    # the text wins over the caller when it has a signature
    assert parse_text(TEXT_2023, issuer="某公司")["issuer"] == "北京华唐中科科技集团有限公司"


# --- 2024: another layout, 15 batches, written by hand --------------------------------------------

# (ordinal in Chinese, level, exam cell, registration cell) as a differently typed notice would have them
ROWS_2024 = [
    ("一", "中级", "2024年4月13日 9:00至12:00", "2024年3月1日至2024年3月31日"),
    ("二", "初级", "2024年4月13日 14:00至17:00", "2024年3月1日至3月31日"),
    ("三", "高级", "2024/4/20 09:00-12:00", "2024/3/5~2024/4/10"),
    ("四", "初级", "2024-05-18 9:00—12:00", "2024-04-01 ～ 2024-05-08"),
    ("五", "中级", "2024-05-18 14:00–17:00", "2024-04-01 – 2024-05-08"),
    ("六", "初级", "2024年6月15日（星期六） 9:00至12:00", "2024年5月6日至2024年6月5日"),
    ("七", "中级", "２０２４年６月１５日 １４：００至１７：００", "２０２４年５月６日至２０２４年６月５日"),
    ("八", "高级", "2024-06-22 9:00-12:00", "2024-05-06 至 2024-06-12"),
    ("九", "初级", "2024-10-19 09:00-12:00", "2024-09-02 ~ 2024-10-09"),
    ("十", "中级", "2024-10-19 14:00-17:00", "2024-09-02 ~ 2024-10-09"),
    ("十一", "初级", "2024-11-16 9:00-12:00", "2024-10-08 ~ 2024-11-06"),
    ("十二", "中级", "2024-11-16 14:00-17:00", "2024-10-08 ~ 2024-11-06"),
    ("十三", "高级", "2024-11-23 9:00-12:00", "2024-10-08 ~ 2024-11-13"),
    ("十五", "初级", "2024-12-14 14:00-17:00", "2024-11-11 ~ 2024-12-04"),  # listed out of order
    ("十四", "中级", "2024-12-14 9:00-12:00", "2024-11-11 ~ 2024-12-04"),
]
# what those rows mean, typed independently: batch, level, exam start, exam end, registration open, close
EXPECTED_2024 = [
    ("2024-01", "intermediate", "2024-04-13T09:00", "2024-04-13T12:00", "2024-03-01", "2024-03-31"),
    ("2024-02", "junior", "2024-04-13T14:00", "2024-04-13T17:00", "2024-03-01", "2024-03-31"),
    ("2024-03", "senior", "2024-04-20T09:00", "2024-04-20T12:00", "2024-03-05", "2024-04-10"),
    ("2024-04", "junior", "2024-05-18T09:00", "2024-05-18T12:00", "2024-04-01", "2024-05-08"),
    ("2024-05", "intermediate", "2024-05-18T14:00", "2024-05-18T17:00", "2024-04-01", "2024-05-08"),
    ("2024-06", "junior", "2024-06-15T09:00", "2024-06-15T12:00", "2024-05-06", "2024-06-05"),
    ("2024-07", "intermediate", "2024-06-15T14:00", "2024-06-15T17:00", "2024-05-06", "2024-06-05"),
    ("2024-08", "senior", "2024-06-22T09:00", "2024-06-22T12:00", "2024-05-06", "2024-06-12"),
    ("2024-09", "junior", "2024-10-19T09:00", "2024-10-19T12:00", "2024-09-02", "2024-10-09"),
    ("2024-10", "intermediate", "2024-10-19T14:00", "2024-10-19T17:00", "2024-09-02", "2024-10-09"),
    ("2024-11", "junior", "2024-11-16T09:00", "2024-11-16T12:00", "2024-10-08", "2024-11-06"),
    ("2024-12", "intermediate", "2024-11-16T14:00", "2024-11-16T17:00", "2024-10-08", "2024-11-06"),
    ("2024-13", "senior", "2024-11-23T09:00", "2024-11-23T12:00", "2024-10-08", "2024-11-13"),
    ("2024-14", "intermediate", "2024-12-14T09:00", "2024-12-14T12:00", "2024-11-11", "2024-12-04"),
    ("2024-15", "junior", "2024-12-14T14:00", "2024-12-14T17:00", "2024-11-11", "2024-12-04"),
]
TITLE_2024 = "关于发布２０２４年“1+X 呼叫中心客户服务与管理职业技能等级证书”统考时间的通知"
HEAD_2024 = [
    "考核计划",
    TITLE_2024,
    "我司现就 2024 年考试工作做如下安排：",
    "一、考试时间与级别",
]
HEADER_2024 = ["考试批次", "等级", "考试时间", "报名时间"]
FEES_2024 = [  # levels in another order; full-width colon before the fee
    ("呼叫中心客户服务与管理职业技能等级证书（高级）", "：380元/人次"),
    ("呼叫中心客户服务与管理职业技能等级证书（初级）", "：350 元/人次"),
    ("呼叫中心客户服务与管理职业技能等级证书（中级）", "：355元／人次"),
]
TAIL_2024 = [
    "二、考试费用",
    *("".join(f) for f in FEES_2024),
    "三、考试形式及内容",
    "1. 考试对象：试点院校考生及社会考生。",
    "2. 考试形式：高级考核采用理论+实操的方式进行，考核时长为 210 分钟。初级、中级考核均采用实操考核方式，时长为１５０分钟。",
    "3. 评定标准：考试成绩总分 150 分，考核成绩达到 90 分（含）以上为合格。",
    "北京华唐中科科技集团有限公司",
    "2023年12月28日",
]


def rows_2024() -> list[list[str]]:
    return [[f"2024年第{n}次统考", level, exam, reg] for n, level, exam, reg in ROWS_2024]


def text_2024() -> str:
    table = ["    ".join(HEADER_2024)] + ["   ".join(r) for r in rows_2024()]  # runs of spaces, no tabs
    return "\n".join([*HEAD_2024, *table, "", *TAIL_2024]) + "\n"


def check_2024(parsed: dict) -> None:
    assert parsed["year"] == 2024
    assert parsed["title"] == TITLE_2024
    assert (parsed["issuer"], parsed["issued_on"]) == ("北京华唐中科科技集团有限公司", dt.date(2023, 12, 28))
    assert (parsed["full_mark"], parsed["pass_mark"]) == (150, 90)
    assert parsed["levels"] == {
        "junior": {"name_zh": "初级", "fee_cny": 350, "form": "practical", "duration_min": 150},
        "intermediate": {"name_zh": "中级", "fee_cny": 355, "form": "practical", "duration_min": 150},
        "senior": {"name_zh": "高级", "fee_cny": 380, "form": "theory+practical", "duration_min": 210},
    }
    got = [
        (
            b["batch"],
            b["level"],
            b["exam_start"],
            b["exam_end"],
            b["registration_open"].isoformat(),
            b["registration_close"].isoformat(),
        )
        for b in parsed["batches"]
    ]
    assert got == EXPECTED_2024
    assert [b["name_zh"] for b in parsed["batches"]][6] == "2024年第七次统考"
    assert all(isinstance(b["registration_open"], dt.date) for b in parsed["batches"])


def test_2024_text_with_another_layout(tmp_path):
    path = tmp_path / "notice_2024.txt"
    path.write_text(text_2024(), encoding="utf-8")
    check_2024(parse_notice_file(path))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_2024_text_in_other_encodings(tmp_path, encoding):
    path = tmp_path / "notice_2024.txt"
    path.write_bytes(text_2024().replace("\n", "\r\n").encode(encoding))
    check_2024(parse_notice_file(path))


def _w_par(*runs: str) -> str:
    return "<w:p>" + "".join(f'<w:r><w:t xml:space="preserve">{escape(r)}</w:t></w:r>' for r in runs) + "</w:p>"


def _w_row(cells: list[str]) -> str:
    return "<w:tr>" + "".join(f"<w:tc><w:tcPr/>{_w_par(c)}</w:tc>" for c in cells) + "</w:tr>"


def write_docx(path: Path) -> None:
    body = "".join(_w_par(s) for s in HEAD_2024)
    body += "<w:tbl><w:tblPr/>" + "".join(_w_row(r) for r in [HEADER_2024, *rows_2024()]) + "</w:tbl>"
    for s in TAIL_2024:
        fee = next((f for f in FEES_2024 if "".join(f) == s), None)
        body += _w_par(*fee) if fee else _w_par(s)  # a fee line split over two runs
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{body}</w:body></w:document>',
        )


def write_html(path: Path) -> None:
    """A page as a browser saves it: GB2312 label, indentation between tags, script and style, entities."""
    rows = "".join(
        "  <tr>\n" + "".join(f"    <{tag}><p>{escape(c)}</p></{tag}>\n" for c in r) + "  </tr>\n"
        for tag, r in [("th", HEADER_2024)] + [("td", r) for r in rows_2024()]
    )
    page = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n'
        "<style>td { padding: 2px }</style>\n"
        "<script>var fake = '2024年第一次统考  初级  2024-04-13 09:00-12:00  2024-03-01 ~ 2024-03-31';</script>\n"
        f"</head><body><div class=nav>首页 &gt; 通知公告</div>\n<h1>{escape(TITLE_2024)}</h1>\n"
        + "".join(f"<p>{escape(s)}</p>\n" for s in HEAD_2024[2:])
        + f"<table>\n<tbody>\n{rows}</tbody>\n</table>\n"
        + "".join(f"<p>{escape(s)}</p>\n" for s in TAIL_2024[:-2])
        + f"<p style='text-align:right'>{TAIL_2024[-2]}<br>\n{TAIL_2024[-1]}</p></body></html>"
    )
    page = page.replace("２０２４年６月", "２０２４年&#65302;月").replace("我司现就 2024", "我司现就&nbsp;2024")
    path.write_bytes(page.encode("gb18030"))


def test_2024_as_docx_and_html_parse_the_same(tmp_path):
    txt, docx, html = tmp_path / "n.txt", tmp_path / "n.docx", tmp_path / "n.htm"
    txt.write_text(text_2024(), encoding="utf-8")
    write_docx(docx)
    write_html(html)
    from_txt = parse_notice_file(txt)
    for path in (docx, html):
        parsed = parse_notice_file(path)
        check_2024(parsed)
        assert {k: v for k, v in parsed.items() if k != "source"} == {
            k: v for k, v in from_txt.items() if k != "source"
        }
        assert parsed["source"]["file"] == path.name
    assert "\t".join(HEADER_2024) in notice_lines(docx)
    assert "\t".join(HEADER_2024) in notice_lines(html)
    assert not any("fake" in s for s in notice_lines(html))


def test_schedule_table_rows_for_checking():
    parsed = parse_text(text_2024())
    rows = schedule_table(parsed)
    assert len(rows) == 15
    assert rows[1] == {
        "batch": "2024-02",
        "name": "2024年第二次统考",
        "level": "初级",
        "exam": "2024-04-13 14:00-17:00",
        "registration": "2024-03-01 ~ 2024-03-31",
        "fee": "350",
    }
    assert list(schedule_headers("en")) == list(rows[0])


def test_twenty_one_batches_tab_separated():
    names = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十 二十一".split()
    zh = dict(enumerate(names, start=1))
    exams = {n: dt.date(2024, 2, 1) + dt.timedelta(days=14 * (n - 1)) for n in zh}
    rows = [
        f"2024年第{zh[n]}次统考\t高级\t{d:%Y/%m/%d} 9:00-12:00\t{d - dt.timedelta(days=30)} ~ {d - dt.timedelta(days=1)}"
        for n, d in exams.items()
    ]
    text = text_2024().replace("\n".join("   ".join(r) for r in rows_2024()), "\n".join(rows))
    parsed = parse_text(text)
    assert [b["batch"] for b in parsed["batches"]] == [f"2024-{n:02d}" for n in range(1, 22)]
    assert parsed["batches"][20]["name_zh"] == "2024年第二十一次统考"
    assert parsed["batches"][20]["exam_start"] == "2024-11-07T09:00"
    assert parsed["batches"][20]["registration_close"] == dt.date(2024, 11, 6)


def test_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(NoticeError, match=r"\.docx"):
        notice_lines(path)


# --- broken notices are refused, naming the line ----------------------------------------------

ROW1 = "2023年第一次统考\t初级\t2023-04-15 09:00-12:00\t2023-03-05 ~ 2023-04-05"
ROW2 = "2023年第二次统考\t中级\t2023-04-20 09:00-12:00\t2023-03-05 ~ 2023-04-10"
ROW5 = "2023年第五次统考\t初级\t2023-06-15 09:00-12:00\t2023-05-05 ~ 2023-06-05\n"


def _edit(row: str, old: str, new: str) -> str:
    return TEXT_2023.replace(row, row.replace(old, new))


BROKEN = {
    # name: (changed text, the line the error must name, a fragment of the message)
    "bad date": (_edit(ROW2, "2023-04-20", "2023-04-31"), "第二次", "日期“2023-04-31”无效"),
    "bad time": (_edit(ROW2, "09:00-12:00", "12:00-09:00"), "第二次", "考试时间"),
    "no exam time": (_edit(ROW1, " 09:00-12:00", ""), "第一次", "考试日期和时间段"),
    "two levels": (_edit(ROW1, "初级", "初级\t中级"), "第一次", "只有一个等级"),
    "level without fee": (TEXT_2023.replace("（高级）360 元/人次", "（高级）"), "第十三次", "没有该等级的考试费用"),
    "window after exam": (_edit(ROW1, "~ 2023-04-05", "~ 2023-04-16"), "第一次", "不早于考试日期"),
    "window on exam day": (_edit(ROW1, "~ 2023-04-05", "~ 2023-04-15"), "第一次", "不早于考试日期"),
    "window reversed": (_edit(ROW1, "2023-03-05 ~", "2023-04-06 ~"), "第一次", "晚于截止日期"),
    "duplicate batch": (_edit(ROW2, "第二次", "第一次"), "第一次统考\t中级", "批次编号重复"),
    "missing batch": (TEXT_2023.replace(ROW5, ""), "第六次", "缺少第 5 次"),
    "exam outside year": (_edit(ROW1, "2023-04-15", "2024-04-15"), "第一次", "不在通知的年份 2023 内"),
    "window outside year": (_edit(ROW1, "2023-03-05 ~", "2022-12-05 ~"), "第一次", "不在通知的年份"),
    "batch of another year": (_edit(ROW2, "2023年第二次", "2024年第二次"), "第二次", "年份 2024"),
    "row without a batch name": (_edit(ROW2, "2023年第二次统考", "第二次统考"), "第二次", "应以批次名称开头"),
    "title of another year": (TEXT_2023.replace("发布 2023 年", "发布 2022 年"), "关于发布", "年份 2022"),
    "table missing": ("\n".join(s for s in TEXT_2023.split("\n") if not s.startswith("2023年第")), "考试批次", "表头"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_notice_names_the_line(name):
    text, fragment, message = BROKEN[name]
    with pytest.raises(NoticeError) as err:
        parse_text(text)
    assert f"第 {line_of(text, fragment)} 行" in str(err.value)
    assert message in str(err.value)


def test_no_table_at_all_and_english_messages():
    with pytest.raises(NoticeError, match="没有考试计划表"):
        parse_text("关于发布 2023 年统考时间的通知\n\n二、考试费用\n")
    set_lang("en")
    text = TEXT_2023.replace(ROW2, ROW2.replace("第二次", "第一次"))
    line = line_of(text, "第一次统考\t中级")
    with pytest.raises(NoticeError, match=rf"^Line {line}: batch .* repeats"):
        parse_text(text)


# --- writing: the notice and one params file per batch, never overwriting ------------------------


def test_write_notice_writes_then_keeps(tmp_path):
    parsed = parse_text(text_2024())
    params = tmp_path / "params"
    written, kept = write_notice(parsed, params, template_text=DEFAULT_PARAMS_TEMPLATE)
    assert kept == []
    assert written == [params / "notices" / "notice_2024.yaml"] + [params / f"2024-{n:02d}.yaml" for n in range(1, 16)]
    assert sorted(p.name for p in params.iterdir()) == sorted([p.name for p in written[1:]] + ["notices"])

    notice = _parse(yaml.safe_load(written[0].read_text(encoding="utf-8")))
    assert len(notice.batches) == 15
    assert notice.batch("2024-07").exam_start == dt.datetime(2024, 6, 15, 14, 0)
    assert notice.levels["senior"].fee_fen == 38000 and notice.levels["senior"].has_theory
    assert (notice.full_mark, notice.pass_mark, notice.issued_on) == (150, 90, dt.date(2023, 12, 28))

    junior, senior = load_batch_params(params / "2024-02.yaml"), load_batch_params(params / "2024-03.yaml")
    assert (junior.batch, senior.batch) == ("2024-02", "2024-03")
    assert junior.values["registrations"].endswith(str(Path("data/2024/registrations/2024-02.xlsx")))
    assert "theory_key" not in junior.values and senior.values["theory_key"].endswith("2024-03-key.xlsx")
    assert "2024年第三次统考" in (params / "2024-03.yaml").read_text(encoding="utf-8").splitlines()[0]

    (params / "2024-01.yaml").write_text("# edited by hand\nbatch: '2024-01'\n", encoding="utf-8")
    written2, kept2 = write_notice(parsed, params, template_text=DEFAULT_PARAMS_TEMPLATE)
    assert (written2, kept2) == ([], written)
    assert (params / "2024-01.yaml").read_text(encoding="utf-8").startswith("# edited by hand")
    assert not [p for p in params.rglob("*") if p.name.endswith(".tmp")]


def test_write_notice_refuses_before_writing(tmp_path):
    text = TEXT_2023.replace("北京华唐中科科技集团有限公司\n", "").replace("2023年2月22日\n", "")
    with pytest.raises(NoticeError, match="issuer"):
        write_notice(parse_text(text), tmp_path / "p", template_text=DEFAULT_PARAMS_TEMPLATE)
    from examkit.core.exceptions import ConfigError

    with pytest.raises(ConfigError):
        write_notice(parse_text(TEXT_2023), tmp_path / "p", template_text="batch: ${batch}\nx: ${nope}\n")
    assert not (tmp_path / "p").exists()
