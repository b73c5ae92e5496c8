"""Issue 3: every batch notebook shows the registration check at its top, right after the batch summary."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK_CALLS = ("validation_report(", "registration_check(")


@pytest.mark.parametrize("name", ["grading", "pass_rates", "fees"])
def test_registration_check_right_after_the_batch_summary(name):
    cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
    summary = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "batch_summary(session)" in c.source)
    check = next(i for i, c in enumerate(cells) if c.cell_type == "code" and any(x in c.source for x in CHECK_CALLS))
    between = cells[summary + 1 : check]
    # nothing in between but the check's own heading or a note that shows no report section
    sections = [c.source for c in between if c.cell_type == "code" and "display(" in c.source]
    headings = [
        c.source for c in between if c.cell_type == "markdown" and "##" in c.source and "报名校验" not in c.source
    ]
    assert summary < check and not sections and not headings, (sections, headings)


@pytest.mark.parametrize("name", ["pass_rates", "fees"])
def test_committed_without_outputs_and_with_the_parameters_tag(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
