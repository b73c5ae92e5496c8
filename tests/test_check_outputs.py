"""``examkit check-outputs``: network references and unmasked personal numbers in rendered files."""

from __future__ import annotations

import json
import shutil

import pytest

from examkit.cli import main
from examkit.core.i18n import set_lang
from examkit.report.check import scan_dir, scan_text

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
            # an executed notebook: only its cell outputs are data (here it has none)
            "2023-01/grading.ipynb": '{"id": "11010519491231002X", "cells": []}',
            # score exports for the platform are not reports
            "2023-01/scores.csv": "11010519491231002X,13812345678\n",
        },
    )
    assert main(["check-outputs", str(out)]) == 0
    assert "3 个文件" in capsys.readouterr().out  # two reports and one notebook checked


def test_cli_fails_naming_file_and_line(tmp_path, capsys):
    out = _tree(tmp_path, {"index.html": CLEAN, "2023-01/fees.html": PLANTED})
    assert main(["--lang", "en", "check-outputs", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("2023-01/fees.html:2: loads a resource from the network")
    assert any(line.startswith("2023-01/fees.html:7: unmasked ID number") for line in printed)
    assert printed[-1] == "FAILED: 8 problems in 1 file"


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


# --------------------------------------------------------------------------- executed notebooks


def _notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, ensure_ascii=False)


PARAMS_CELL = {  # papermill's injected parameters: paths may hold anything, they are code not data
    "cell_type": "code",
    "metadata": {"tags": ["injected-parameters"]},
    "source": 'registrations = "/data/11010519491231002X/13812345678.xlsx"\n',
    "outputs": [],
}


def _output_cell(*outputs: dict) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": "show()", "outputs": list(outputs)}


def test_notebook_outputs_are_checked_but_not_sources(tmp_path, capsys):
    leaky = _notebook(
        [
            {"cell_type": "markdown", "metadata": {}, "source": "# 11010519491231002X"},
            PARAMS_CELL,
            _output_cell(
                {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<td>张*明</td>"}},
            ),
            _output_cell(
                {
                    "output_type": "execute_result",
                    "execution_count": 3,
                    "metadata": {},
                    "data": {
                        "text/plain": ["姓名  电话\n", "张三  13812345678\n"],
                        "text/html": "<td>138****5678</td>",
                    },
                },
                {"output_type": "stream", "name": "stdout", "text": ["ok\n", "11010519491231002X\n"]},
            ),
            _output_cell(
                {"output_type": "error", "ename": "E", "evalue": "x", "traceback": ["line", "id 11010519491231002X"]},
                {"output_type": "display_data", "metadata": {}, "data": {"image/png": "MTM4MTIzNDU2Nzg="}},
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"application/vnd.vegalite.v5+json": {"data": {"values": [{"phone": "13912345678"}]}}},
                },
            ),
        ]
    )
    out = _tree(tmp_path, {"2023-01/grading.ipynb": leaky, "2023-01/grading.html": CLEAN})
    files, findings = scan_dir(out)
    assert [p.name for p in files] == ["grading.html", "grading.ipynb"]
    got = [(f.file, f.cell, f.line, f.rule, f.value) for f in findings]
    assert got == [
        ("2023-01/grading.ipynb", 4, 2, "mobile", "138****5678"),  # text/plain line 2
        ("2023-01/grading.ipynb", 4, 2, "id_number", "110105********002X"),  # stdout line 2
        ("2023-01/grading.ipynb", 5, 2, "id_number", "110105********002X"),  # traceback line 2
        ("2023-01/grading.ipynb", 5, 5, "mobile", "139****5678"),  # in the chart's data
    ]
    assert main(["--lang", "en", "check-outputs", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    set_lang("zh")
    assert (
        printed[0]
        == "2023-01/grading.ipynb output of cell 4:2: unmasked mobile number (show the first 3 + **** + the last 4): 138****5678"
    )
    assert printed[-1] == "FAILED: 4 problems in 1 file"


def test_external_links_inside_notebook_outputs_are_not_reports(tmp_path):
    nb = _notebook(
        [
            _output_cell(
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": PLANTED.split("<p>", maxsplit=1)[0]},
                }
            )
        ]
    )
    assert scan_dir(_tree(tmp_path, {"a/fees.ipynb": nb}))[1] == []


def test_one_problem_in_english(tmp_path, capsys):
    out = _tree(tmp_path, {"index.html": CLEAN.replace("138****5678", "13812345678")})
    assert main(["--lang", "en", "check-outputs", str(out)]) == 1
    set_lang("zh")
    assert capsys.readouterr().out.splitlines()[-1] == "FAILED: 1 problem in 1 file"


@pytest.mark.parametrize("files", [{}, {"2023-01/scores.csv": "a,b\n", "notes.txt": "x"}])
def test_a_folder_with_nothing_to_check_is_an_error(tmp_path, capsys, files):
    out = _tree(tmp_path, files)
    assert main(["check-outputs", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and str(out) in captured.err and "ipynb" in captured.err
