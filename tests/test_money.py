import pytest

from examkit.core.money import format_yuan, format_yuan_plain, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("6,800.00", 680000),
        ("￥6800", 680000),
        ("¥ 6,800.5", 680050),
        ("６８００元", 680000),
        (340, 34000),
        ("0.01", 1),
        ("-12.30", -1230),
        ("RMB 1,234.56", 123456),
    ],
)
def test_yuan_to_fen(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("bad", ["", "abc", "1.005", "NaN", "inf", True, "1,2.3.4"])
def test_yuan_to_fen_rejects(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_float_sums_do_not_drift():
    # 0.1 + 0.2 != 0.3 in floats; in fen it is exact
    assert yuan_to_fen("0.1") + yuan_to_fen("0.2") == yuan_to_fen("0.3")


def test_format():
    assert format_yuan(123456) == "¥1,234.56"
    assert format_yuan(-5) == "-¥0.05"
    assert format_yuan_plain(34000) == "340"
    assert format_yuan_plain(34050) == "340.50"
