"""One notebook of one batch, in its own process: papermill, then the rendered report.

Invoked by the runner as ``python -m examkit.cli.worker SPEC_JSON``, which prints one JSON line.
"""

from __future__ import annotations

from pathlib import Path

from examkit.core.i18n import t
from examkit.io.write import atomic_path
from examkit.report.render import render_html, write_pdf


def execute_one(notebook: str, parameters: dict, out_dir: str, kernel: str, pdf: bool = False) -> dict:
    """Execute and render; on failure remove this notebook's old outputs so nothing stale looks complete."""
    import papermill as pm  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)
    from papermill.exceptions import PapermillExecutionError  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    src = Path(notebook)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = src.stem
    final_ipynb, final_html = out / f"{name}.ipynb", out / f"{name}.html"
    try:
        with atomic_path(final_ipynb) as tmp:
            pm.execute_notebook(
                str(src),
                str(tmp),
                parameters=parameters,
                kernel_name=kernel,
                language="python",
                cwd=str(src.parent),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
            )
            render_html(tmp, final_html)
    except PapermillExecutionError as exc:
        remove_outputs(out, name)
        error = t("run.cell_failed", cell=exc.exec_count, ename=exc.ename, evalue=exc.evalue)
        return {"ok": False, "error": error}
    except BaseException:
        remove_outputs(out, name)
        raise
    outputs = [str(final_ipynb), str(final_html)]
    if pdf:
        pdf_path = write_pdf(final_html, out / f"{name}.pdf")
        if pdf_path:
            outputs.append(str(pdf_path))
    return {"ok": True, "outputs": outputs}


def remove_outputs(out_dir: Path, name: str) -> None:
    """Delete a notebook's previous outputs, so a failed run leaves nothing stale that looks complete."""
    for suffix in (".ipynb", ".html", ".pdf"):
        (out_dir / f"{name}{suffix}").unlink(missing_ok=True)
