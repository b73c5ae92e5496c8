"""Warm kernels are proven, not assumed: the same batches rendered in fresh kernels give the same reports.

The whole-year run (``rendered_demo``) goes through two warm workers, each running about twenty
notebooks in one kernel. Reports late in that run (2023-08 is double-marked, 2023-13 has the theory
paper; every kind of notebook once) are rendered again with one fresh kernel each and compared byte for byte,
with only the clock masked (the time a report was started, its run time) and the random id papermill
gives the cell it injects.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
import rendered_demo

from examkit.core.i18n import t
from examkit.run.kernel import ensure_kernel
from examkit.run.worker import WarmKernel, execute_one

pytestmark = pytest.mark.slow

REPORTS = (("2023-08", "grading"), ("2023-13", "grading"), ("2023-13", "pass_rates"), ("2023-13", "fees"))
_CLOCK = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?")
# the footer's run time in seconds (a clock reading too), and the id papermill gives its injected
# parameters cell (random in every run, fresh or warm: it names a cell, it shows nothing)
_ELAPSED = re.compile("(" + re.escape(t("report.run_seconds", "zh")) + r"</b>：)[0-9]+(?:\.[0-9]+)?")
_CELL_ID = re.compile(r'id="cell-id=[0-9a-f-]+"')


def _masked(text: str) -> str:
    return _CELL_ID.sub('id="cell-id"', _ELAPSED.sub(r"\1<seconds>", _CLOCK.sub("<time>", text)))


def test_clock_mask_hides_times_and_nothing_else() -> None:
    text = "开始于 2026-12-02 03:41:07+08:00，总分 75.25，考试 2023-04-15"
    assert _masked(text) == "开始于 <time>，总分 75.25，考试 2023-04-15"
    footer = '<div id="cell-id=a27113f0"><b>批次</b>：2023-13</li><li><b>运行用时（秒）</b>：4.3</li>'
    assert _masked(footer) == '<div id="cell-id"><b>批次</b>：2023-13</li><li><b>运行用时（秒）</b>：<seconds></li>'


@pytest.mark.parametrize(("batch", "notebook"), REPORTS)
def test_warm_and_fresh_kernels_render_the_same_report(tmp_path_factory, demo_outputs, batch, notebook) -> None:
    if os.environ.get("EXAMKIT_REPORTS_DIR"):
        pytest.skip("checking a given outputs folder: there is no run of ours to compare")
    fresh = rendered_demo.fresh_rerun(tmp_path_factory, REPORTS)
    warm_html = (demo_outputs / batch / f"{notebook}.html").read_text(encoding="utf-8")
    fresh_html = (fresh / batch / f"{notebook}.html").read_text(encoding="utf-8")
    assert len(warm_html) > 10_000  # a real report, not an error page
    assert _masked(warm_html) == _masked(fresh_html)


def _notebook(path: Path, *codes: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('marker = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), params, *(nbformat.v4.new_code_cell(c) for c in codes)]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def warm():
    kernel = WarmKernel(ensure_kernel())
    kernel.start()
    yield kernel
    kernel.stop()


def _cells(executed: Path) -> list[tuple[object, list]]:
    nb = nbformat.read(str(executed), as_version=4)
    return [(c.execution_count, [o.get("text") for o in c.outputs]) for c in nb.cells if c.cell_type == "code"]


def test_a_warm_kernel_starts_each_notebook_like_a_fresh_one(tmp_path, warm) -> None:
    first = _notebook(tmp_path / "first.ipynb", "leaked = 1\nimport os\nos.chdir('/')")
    (tmp_path / "sub").mkdir()
    second = _notebook(
        tmp_path / "sub" / "second.ipynb",
        "assert 'leaked' not in globals(), 'a name from the previous notebook survived'",
        "import os, pathlib\nassert pathlib.Path.cwd() == pathlib.Path(marker), os.getcwd()",
        "print(get_ipython().execution_count)",
    )
    params = {"marker": str((tmp_path / "sub").resolve())}
    assert warm.execute(str(first), {}, str(tmp_path / "warm"))["ok"]
    result = warm.execute(str(second), params, str(tmp_path / "warm"))
    assert result == {"ok": True, "outputs": [str(tmp_path / "warm" / f"second.{s}") for s in ("ipynb", "html")]}
    assert execute_one(str(second), params, str(tmp_path / "fresh"), warm.kernel)["ok"]
    # the same execution counts (a new IPython session) and the same printed outputs as in a fresh kernel
    assert _cells(tmp_path / "warm" / "second.ipynb") == _cells(tmp_path / "fresh" / "second.ipynb")


def test_a_kernel_that_dies_is_replaced_and_the_notebook_retried_once(tmp_path, warm) -> None:
    dies_once = _notebook(
        tmp_path / "dies.ipynb",
        "import os, pathlib\np = pathlib.Path(marker)\nif not p.exists():\n    p.write_text('x')\n    os._exit(1)",
    )
    before = warm.started
    result = warm.execute(str(dies_once), {"marker": str(tmp_path / "died-once")}, str(tmp_path / "out"))
    assert result["ok"], result
    assert warm.started == before + 1  # one fresh kernel, and the notebook ran in it


def test_a_chart_drawn_twice_in_one_process_is_the_same_svg() -> None:
    """Vega's gradient counter lives as long as the process: without renaming, the second drawing differs."""
    from examkit.report.tables import chart_svg

    spec = {
        "data": {"values": [{"x": "a", "y": "b", "v": 0.3}, {"x": "a", "y": "c", "v": 0.8}]},
        "mark": "rect",
        "encoding": {
            "x": {"field": "x", "type": "nominal"},
            "y": {"field": "y", "type": "nominal"},
            "color": {"field": "v", "type": "quantitative"},  # a continuous legend: a gradient
        },
    }
    first, second = chart_svg(spec, "zh"), chart_svg(spec, "zh")
    assert "url(#" in first  # the legend really uses a gradient
    assert first == second
