"""``examkit check-outputs``: network references and unmasked personal numbers in rendered files."""

from __future__ import annotations

import shutil

import pytest

from examkit.check_outputs import scan_dir, scan_text
from examkit.cli import main

CLEAN = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>报告</title>
<style>body{font-family:"PingFang SC",sans-serif} .x{background:url(data:image/png;base64,AAAA)}</style></head>
<body><a href="https://www.example.org/notice">通知原文</a>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><text>合格</text></svg>
<td>110105********002X</td><td>138****5678</td><td>张*明</td>
<code>5f0a13812345678b11010519491231002Xc</code> 0.13812345678 考生号 20230100001 金额 12,345.67
<img src="data:image/svg+xml;base64,PHN2Zz4="></body></html>
"""

# (line, rule, value) of every planted violation below, worked out by hand.
PLANTED = """<html><head>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Noto">
<style>@font-face{src:url('https://example.com/f.woff2')}</style>
</head><body>
<img alt="logo" src="http://example.com/logo.png">
<p>身份证号 11010519491231002X</p>
<p>手机 13812345678 或 +86 139-1234-5678</p>
<script>import("https://unpkg.com/x.mjs")</script>
</body></html>
"""
EXPECTED = [
    (2, "external", "https://cdn.jsdelivr.net/npm/vega@5"),
    (3, "external", "//fonts.googleapis.com/css?family=Noto"),
    (4, "external", "https://example.com/f.woff2"),
    (6, "external", "http://example.com/logo.png"),
    (7, "id_number", "110105********002X"),
    (8, "mobile", "138****5678"),
    (8, "mobile", "139****5678"),
    (9, "external", "https://unpkg.com/x.mjs"),
]


def test_clean_file_has_no_findings():
    assert scan_text(CLEAN, "clean.html") == []


def test_every_planted_violation_is_found_with_its_line():
    got = [(f.line, f.rule, f.value) for f in scan_text(PLANTED, "bad.html")]
    assert got == EXPECTED


def test_findings_never_repeat_the_personal_number_in_full():
    text = "\n".join(f.message() for f in scan_text(PLANTED, "bad.html"))
    assert "11010519491231002X" not in text
    assert "13812345678" not in text


def _tree(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path


def test_cli_passes_a_clean_tree_and_ignores_non_rendered_files(tmp_path, capsys):
    out = _tree(
        tmp_path,
        {
            "index.html": CLEAN,
            "2023-01/pass_rates.html": CLEAN,
            # executed notebooks and score exports for the platform are not reports
            "2023-01/grading.ipynb": '{"id": "11010519491231002X"}',
            "2023-01/scores.csv": "11010519491231002X,13812345678\n",
        },
    )
    assert main(["check-outputs", str(out)]) == 0
    assert "2" in capsys.readouterr().out  # two report files scanned


def test_cli_fails_naming_file_and_line(tmp_path, capsys):
    out = _tree(tmp_path, {"index.html": CLEAN, "2023-01/fees.html": PLANTED})
    assert main(["--lang", "en", "check-outputs", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("2023-01/fees.html:2: loads a resource from the network")
    assert any(line.startswith("2023-01/fees.html:7: unmasked ID number") for line in printed)
    assert printed[-1] == "FAILED: 8 problems in 1 files"


def test_missing_folder_is_a_user_error(tmp_path, capsys):
    assert main(["check-outputs", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.slow
def test_scan_passes_on_rendered_demo_and_fails_on_planted_copy(tmp_path_factory, tmp_path):
    from rendered_demo import rendered_demo, report_files

    out = rendered_demo(tmp_path_factory)
    files, findings = scan_dir(out)
    assert len(files) >= len(report_files(out)) + 1 > 1
    assert findings == [], [f.message() for f in findings]
    # the same reports with one violation of each kind planted in a copy
    copy = tmp_path / "outputs"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("*.ipynb", "*.pdf"))
    victim = sorted(copy.glob("*/pass_rates.html"))[0]
    text = victim.read_text(encoding="utf-8")
    text = text.replace("</head>", '<script src="https://cdn.example.com/a.js"></script></head>', 1)
    text = text.replace("</main>", "<p>11010519491231002X 13812345678</p></main>", 1)
    victim.write_text(text, encoding="utf-8")
    _, planted = scan_dir(copy)
    assert {f.rule for f in planted} == {"external", "id_number", "mobile"}
    assert {f.file for f in planted} == {victim.relative_to(copy).as_posix()}
