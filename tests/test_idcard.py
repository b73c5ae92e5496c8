"""Resident ID numbers (GB 11643-1999): the scalar checker and the vectorised one used by validation agree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examkit.core import idcard
from examkit.core.notice import load_notice
from examkit.intake.registration_checks import check_table
from examkit.intake.registration_model import Context
from examkit.io.tables import Table

# The two worked examples printed in GB 11643-1999 itself.
KNOWN_VALID = ["11010519491231002X", "440524188001010014"]


def test_check_character_of_the_standard_example_by_hand():
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 times 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
    # 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = "X"
    assert idcard.check_char("11010519491231002") == "X"
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1: 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → "4"
    assert idcard.check_char("44052418800101001") == "4"


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers(number):
    assert idcard.is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character (should be X)
        "11010519491231002Y",  # not a digit or X at the end
        "11010519491231002x",  # lowercase: normalisation upper-cases it first, the checker itself does not
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "110105194902300021",  # 30 February
        "１１０１０５１９４９１２３１００２X",  # full-width digits are not digits of an ID number
        "",
    ],
)
def test_known_invalid_numbers(number):
    assert not idcard.is_valid(number)


def test_birth_date():
    assert idcard.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert idcard.birth_date("110105194902300021") is None


def test_make_builds_valid_numbers():
    n = idcard.make("440106", dt.date(2004, 2, 29), 7)
    assert n.startswith("44010620040229007") and idcard.is_valid(n)


def _vectorised_verdicts(numbers: list[str]) -> list[bool]:
    """Run the registration checks over one row per number; True when no ID rule fired."""
    cols = ["candidate_no", "name", "id_number", "candidate_type", "school_code", "school_name", "province"]
    cols += ["site_code", "batch", "level", "registered_on", "phone"]
    frame = pl.DataFrame(
        {
            "_row": list(range(2, len(numbers) + 2)),
            **{c: [None] * len(numbers) for c in cols if c != "id_number"},
            "id_number": numbers,
        },
        schema={"_row": pl.Int64, **dict.fromkeys(cols, pl.String)},
    )
    table = Table(file=Path("ids.csv"), frame=frame, headers={"id_number": "身份证号"})
    ctx = Context(batches=load_notice(2023).batches)
    reg = check_table(table, ctx, {"id_number": ["身份证号"]}, required=())
    bad = {f.row for f in reg.findings if f.rule in ("id_format", "id_checksum")}
    return [r not in bad for r in range(2, len(numbers) + 2)]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.builds(
                idcard.make,
                st.sampled_from(["110105", "440106", "510703"]),
                st.dates(dt.date(1900, 1, 1), dt.date(2010, 12, 31)),
                st.integers(0, 999),
            ),
            st.text("0123456789X", min_size=18, max_size=18),
            st.text("0123456789Xx ", min_size=0, max_size=20),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_vectorised_checksum_agrees_with_the_scalar_checker(numbers):
    # the vectorised rule also rejects births before 1900 or after the exam day (the scalar one knows no
    # exam day), so only numbers born 1900–2010 are compared
    verdicts = _vectorised_verdicts(numbers)
    for number, ok in zip(numbers, verdicts, strict=True):
        stripped = number.replace(" ", "").upper()
        if not stripped:
            continue  # an empty cell is a missing value, not an ID finding
        born = idcard.birth_date(stripped) if len(stripped) == 18 and stripped[:17].isdigit() else None
        if born is not None and not 1900 <= born.year <= 2010:
            continue
        assert ok == idcard.is_valid(stripped), number
