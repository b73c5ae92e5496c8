"""A report's size does not grow with the number of candidates: charts and tables come from aggregates."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from examkit.analysis.passrates import outcomes, pass_rates, score_distribution
from examkit.core.notice import load_notice
from examkit.core.policy import Policy
from examkit.notebook.display import setup
from examkit.report.charts import pass_rate_bars, score_histogram
from examkit.report.render import render_html_text
from examkit.report.tables import table

SCHOOLS = ("甲职业技术学院", "乙商贸学校", "丙职业学院", "丁技师学院", "戊职业技术学院", "己学校")


def _candidates(n: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    regs = pl.DataFrame(
        {
            "candidate_no": [f"C{i:07d}" for i in range(n)],
            "batch": "2023-01",
            "school_code": rng.choice(SCHOOLS, n),
            "name": [f"张{i}明" for i in range(n)],
        }
    )
    status = rng.choice(["graded", "absent"], n, p=[0.95, 0.05])
    results = pl.DataFrame(
        {
            "candidate_no": regs["candidate_no"],
            "batch": "2023-01",
            "status": status,
            "total": rng.normal(66, 12, n).clip(0, 100).round(1),
        }
    ).with_columns(pl.when(pl.col("status") == "graded").then(pl.col("total")).alias("total"))
    return regs, results


def _report(n: int) -> str:
    """The pass-rate story of one batch of ``n`` candidates, rendered as a report."""
    notice = load_notice(2023)
    policy = Policy(pass_mark=notice.pass_mark, full_mark=notice.full_mark, near_line_band=5, small_group_min_sat=10)
    regs, results = _candidates(n)
    cands = outcomes(regs, results, policy.pass_mark)
    rates = pass_rates(cands, ["school_code"], policy).with_columns(pl.col("school_code").alias("label"))
    dist = score_distribution(cands, policy)
    setup("zh")
    outputs = [
        pass_rate_bars(rates)._repr_mimebundle_(),
        score_histogram(dist, policy.pass_mark)._repr_mimebundle_(),
        {"text/html": table(rates.select("school_code", "sat", "passed", "pass_rate"), "按院校").html},
    ]
    nb = new_notebook()
    nb.metadata["papermill"] = {"parameters": {"batch": "2023-01", "lang": "zh"}}
    nb.cells = [new_markdown_cell("# 通过率")]
    for bundle in outputs:
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        cell = new_code_cell("x")
        cell.outputs = [new_output("display_data", data=data)]
        nb.cells.append(cell)
    return render_html_text(nb)


def test_report_size_does_not_grow_with_candidates():
    small, large = _report(200), _report(40_000)
    assert large.count("<svg") == small.count("<svg") == 2
    # the same marks: one bar per school, one per score bin
    assert len(re.findall(r"<path", large)) == len(re.findall(r"<path", small))
    # only the digits of the figures differ
    assert abs(len(large) - len(small)) <= 0.02 * len(small)
    assert "C0000199" not in large and "张1明" not in large  # no candidate-level data in the report
