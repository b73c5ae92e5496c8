"""Certificate-number layout, province codes (pure parts)."""

from __future__ import annotations

import polars as pl
import pytest

from examkit.core.certificates import parse_layout, province_code, province_code_expr, provinces
from examkit.core.exceptions import CertificateError, ConfigError
from examkit.core.notice import LEVELS
from examkit.settings.policy import load_layout

CODES = {"junior": "1", "intermediate": "2", "senior": "3"}


def layout(template: str, codes: dict | None = None):
    return parse_layout({"layout": template, "level_codes": codes or CODES}, LEVELS, source="policy.yaml")


# --------------------------------------------------------------------------- provinces


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("广东省", "44"),
        ("广东", "44"),
        ("浙江省", "33"),
        ("四川省", "51"),
        ("山东省", "37"),
        ("北京市", "11"),
        ("新疆维吾尔自治区", "65"),
        ("内蒙古", "15"),
        (" 广 东 省 ", "44"),
        ("Guangdong", "44"),
        ("44", "44"),
    ],
)
def test_province_codes(name, code):
    assert province_code(name) == code


def test_province_table_is_complete_and_unique():
    codes = [p.code for p in provinces()]
    assert len(codes) == 34 and len(set(codes)) == 34  # 31 mainland + Taiwan, Hong Kong, Macao


def test_unknown_province_is_refused_with_the_value():
    with pytest.raises(CertificateError, match="火星省"):
        province_code("火星省")


def test_province_expr_matches_and_leaves_unknown_null():
    f = pl.DataFrame({"province": ["广东省", "浙江", "火星省", None]}).select(province_code_expr())
    assert f.to_series().to_list() == ["44", "33", None, None]


# --------------------------------------------------------------------------- the shipped layout


def test_shipped_layout_formats_and_parses():
    lay = load_layout()
    n = lay.format(year=2023, level="junior", province_code="51", site_code="03107", serial=12)
    assert n == "2023" + "1" + "51" + "03107" + "000012"
    assert lay.parse(n) == {
        "year": 2023,
        "level_code": "1",
        "level": "junior",
        "province_code": "51",
        "site_code": "03107",
        "serial": 12,
    }
    assert lay.scope(year=2023, level="junior", province_code="51", site_code="03107") == "2023151" + "03107######"


def test_leading_zero_site_code_survives():
    lay = layout("{site_code}-{serial:04d}")
    assert lay.format(year=2023, level="senior", province_code="44", site_code="03107", serial=7) == "03107-0007"
    assert lay.parse("03107-0007")["site_code"] == "03107"


def test_serial_must_fit_its_width():
    lay = layout("{year}{serial:02d}")
    assert lay.format(year=2023, level="junior", province_code="44", site_code="1", serial=99) == "202399"
    with pytest.raises(CertificateError, match="100"):
        lay.format(year=2023, level="junior", province_code="44", site_code="1", serial=100)
    with pytest.raises(CertificateError):
        lay.format(year=2023, level="junior", province_code="44", site_code="1", serial=0)


def test_bad_site_code_and_number_are_refused():
    lay = layout("{site_code}{serial:04d}")
    with pytest.raises(CertificateError, match="44-01"):
        lay.format(year=2023, level="junior", province_code="44", site_code="44-01", serial=1)
    with pytest.raises(CertificateError, match="ABC"):
        lay.parse("ABC")  # no 4-digit serial


def test_vectorised_numbers_equal_the_hand_written_ones():
    lay = load_layout()
    f = pl.DataFrame(
        {
            "year": [2023, 2023],
            "level_code": ["2", "3"],
            "province_code": ["44", "33"],
            "site_code": ["44001", "03107"],
            "serial": [1, 123456],
        }
    )
    out = f.select(lay.number_expr().alias("n"), lay.scope_expr().alias("s"))
    assert out["n"].to_list() == ["2023244" + "44001000001", "2023333" + "03107123456"]
    assert out["s"].to_list() == ["202324444001######", "202333303107######"]


def test_level_codes_of_different_lengths_parse():
    lay = layout("{year}-{level_code}-{serial:03d}", {"junior": "J", "intermediate": "IM", "senior": "S"})
    assert lay.parse("2023-IM-005")["level"] == "intermediate"


# --------------------------------------------------------------------------- layout validation


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{year}{foo}{serial:06d}", "{foo}"),  # unknown part, names it
        ("{year}{site_code}", "serial"),  # no serial: numbers could not be unique
        ("{year}{serial}", "{serial:06d}"),  # serial without a fixed width
        ("{year}{serial:6d}", "{serial:06d}"),  # space padding is not a fixed digit width
        ("{year:04d}{serial:06d}", "04d"),  # only the serial takes a format
        ("{year}{serial:06d}{year}", "{year}"),  # repeated part
        ("{year}{serial:06d}{", "{year}"),  # unbalanced brace
        ("{site_code}{level_code}{serial:03d}", "{site_code}"),  # two variable-width parts touching
        ("{}{serial:03d}", "{}"),  # positional field
    ],
)
def test_bad_layouts_are_refused_clearly(template, needle):
    codes = {"junior": "1", "intermediate": "22", "senior": "3"}
    with pytest.raises(ConfigError) as err:
        layout(template, codes)
    msg = str(err.value)
    assert "policy.yaml" in msg and template in msg and needle in msg


@pytest.mark.parametrize(
    "codes",
    [
        {"junior": "1", "intermediate": "2"},  # a level missing
        {"junior": "1", "intermediate": "1", "senior": "3"},  # not distinct
        {"junior": "1", "intermediate": "2", "senior": "3", "expert": "4"},  # unknown level
        {"junior": "1", "intermediate": "2", "senior": "3-"},  # not letters/digits
        ["1", "2", "3"],
    ],
)
def test_bad_level_codes_are_refused(codes):
    with pytest.raises(ConfigError, match="level_codes"):
        parse_layout({"layout": "{level_code}{serial:03d}", "level_codes": codes}, LEVELS)


def test_missing_layout_is_refused():
    with pytest.raises(ConfigError, match="layout"):
        parse_layout({"level_codes": CODES}, LEVELS)
    with pytest.raises(ConfigError, match="layout"):
        parse_layout(None, LEVELS)  # type: ignore[arg-type]


def test_layout_read_from_a_params_dir(tmp_path):
    (tmp_path / "policy.yaml").write_text(
        'certificate_number:\n  layout: "HT{year}-{serial:05d}"\n  level_codes: {junior: a, intermediate: b, senior: c}\n',
        encoding="utf-8",
    )
    lay = load_layout(tmp_path)
    assert lay.format(year=2023, level="junior", province_code="44", site_code="x", serial=3) == "HT2023-00003"


def _register():
    import datetime as dt

    return pl.DataFrame(
        {
            "certificate_no": ["202314403107000002", "202314403107000001"],
            "candidate_no": ["2301031070002", "2301031070001"],
            "name": ["李四", "王五明"],
            "id_number": ["440106200501011258", "44010620050101123X"],
            "level": ["junior", "junior"],
            "batch": ["2023-01", "2023-01"],
            "issued_on": [dt.date(2023, 5, 8)] * 2,
        }
    )


def test_issue_list_full_and_masked():
    from examkit.report.certificates import issue_list

    full = issue_list(_register(), masked=False, lang="zh")
    assert full["证书编号"].to_list() == ["202314403107000001", "202314403107000002"]
    assert full["姓名"].to_list() == ["王五明", "李四"]
    assert full["等级"].to_list() == ["初级", "初级"]
    masked = issue_list(_register(), masked=True, lang="zh")
    assert masked["姓名"].to_list() == ["王*明", "李*"]
    assert masked["身份证号"].to_list() == ["440106********123X", "440106********1258"]
    # certificate numbers are 18 digits like ID numbers: they must not be masked
    assert masked["证书编号"].to_list() == ["202314403107000001", "202314403107000002"]


def test_issue_list_files(tmp_path):
    import fastexcel

    from examkit.report.certificates import write_issue_list

    held = pl.DataFrame(
        {
            "candidate_no": ["2305031070009"],
            "name": ["张三"],
            "id_number": ["440106200501011266"],
            "level": ["junior"],
            "held_certificate_no": ["202314403107000001"],
            "held_batch": ["2023-01"],
        }
    )
    paths = write_issue_list(_register(), tmp_path, "2023-05", held=held, lang="zh")
    csv = paths["csv"].read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf") and "王五明".encode() in csv
    book = fastexcel.read_excel(str(paths["xlsx"]))
    assert book.sheet_names == ["本批发证名单", "已持有该等级证书"]
    masked = fastexcel.read_excel(str(paths["masked"]))
    names = masked.load_sheet(0, dtypes="string").to_polars()["姓名"].to_list()
    held_names = masked.load_sheet(1, dtypes="string").to_polars()["姓名"].to_list()
    assert "王五明" not in names and held_names == ["张*"]
