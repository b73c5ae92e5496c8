"""Executing notebooks: papermill, then the rendered report; in a fresh kernel each time or in a warm one.

``execute_one`` runs one notebook in a kernel of its own (the ``--fresh-kernels`` way). ``WarmKernel``
keeps one kernel whose imports are done and runs many notebooks in it, resetting the namespace,
the working directory and examkit's process state before each; a kernel that dies is replaced and
the notebook retried once in the fresh kernel. ``examkit.cli.worker`` serves either over a pipe.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from examkit.core.i18n import t
from examkit.io.write import atomic_path
from examkit.report.render import ReportRenderer, write_pdf

# Imported once per warm kernel: what every report notebook needs, so no notebook pays for it.
WARM_IMPORTS = (
    "import polars, altair, ipywidgets, vl_convert\n"
    "import examkit.notebook.open, examkit.notebook.display, examkit.notebook.widgets, examkit.notebook.explore\n"
    "import examkit.report.passrates, examkit.report.fee_statement, examkit.report.fee_charts\n"
    "import examkit.report.grading, examkit.report.grading_tables, examkit.report.publicity\n"
    "import examkit.report.batch_info, examkit.report.validation\n"
    # the first chart drawn in a process starts vl-convert's JavaScript engine (~1 s): do it while idle
    "vl_convert.vegalite_to_svg({'mark': 'point', 'data': {'values': []}})\n"
)
# Run before each notebook in a warm kernel: a new IPython session (namespace, history and the
# execution counter), the notebook's folder as working directory, polars' display defaults, and
# examkit's caches that hold what was read (the next notebook reads its own inputs again).
_RESET = (
    "get_ipython().reset(new_session=True, aggressive=False)\n"
    "import os as _os, polars as _pl\n"
    "_os.chdir({cwd!r})\n"
    "_pl.Config.restore_defaults()\n"
    "del _os, _pl\n"
)


def _papermill_run(src: Path, target: Path, parameters: dict, kernel: str, **engine: object) -> None:
    import papermill as pm  # noqa: PLC0415  heavy import, only in the worker process

    pm.execute_notebook(
        str(src),
        str(target),
        parameters=parameters,
        kernel_name=kernel,
        language="python",
        cwd=str(src.parent),
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        **engine,
    )


def _execute(
    notebook: str,
    parameters: dict,
    out_dir: str,
    pdf: bool,
    renderer: ReportRenderer,
    run_notebook: Callable[[Path, Path, dict], None],
) -> dict:
    """Execute with ``run_notebook``, render; on failure remove this notebook's old outputs."""
    from papermill.exceptions import PapermillExecutionError  # noqa: PLC0415  heavy import, only in the worker

    src = Path(notebook)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = src.stem
    final_ipynb, final_html = out / f"{name}.ipynb", out / f"{name}.html"
    try:
        with atomic_path(final_ipynb) as tmp:
            run_notebook(src, tmp, parameters)
            renderer.render_file(tmp, final_html)
    except PapermillExecutionError as exc:
        remove_outputs(out, name)
        return {"ok": False, "error": t("run.cell_failed", cell=exc.exec_count, ename=exc.ename, evalue=exc.evalue)}
    except BaseException:
        remove_outputs(out, name)
        raise
    outputs = [str(final_ipynb), str(final_html)]
    if pdf:
        pdf_path = write_pdf(final_html, out / f"{name}.pdf")
        if pdf_path:
            outputs.append(str(pdf_path))
    return {"ok": True, "outputs": outputs}


def execute_one(notebook: str, parameters: dict, out_dir: str, kernel: str, pdf: bool = False) -> dict:
    """Execute ``notebook`` in a kernel of its own and render it (the ``--fresh-kernels`` way)."""

    def fresh(src: Path, target: Path, params: dict) -> None:
        _papermill_run(src, target, params, kernel)

    return _execute(notebook, parameters, out_dir, pdf, ReportRenderer(), fresh)


class WarmKernel:
    """One kernel kept warm for many notebooks, and one report renderer reused for all of them."""

    def __init__(self, kernel: str) -> None:
        self.kernel = kernel
        self.renderer = ReportRenderer()
        self.km = None
        self.kc = None
        self.started = 0  # kernels started so far (1 unless one died)

    def start(self) -> None:
        """Start the kernel and import what every report needs."""
        # An async manager: nbclient then watches the kernel while it waits for output, so a kernel
        # that dies mid-notebook is noticed (with a blocking one its wait never ends).
        from jupyter_client import BlockingKernelClient  # noqa: PLC0415  heavy import, only in the worker
        from jupyter_client.manager import AsyncKernelManager  # noqa: PLC0415  heavy import, only in the worker
        from jupyter_core.utils import run_sync  # noqa: PLC0415  heavy import, only in the worker

        self._sync = run_sync
        self.km = AsyncKernelManager(kernel_name=self.kernel)
        run_sync(self.km.start_kernel)(env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(self.km.get_connection_info())
        # No heartbeat: on a busy machine a late beat reads as "kernel died" (and the worker gave up on a
        # healthy kernel); whether the kernel lives is asked of its process instead (``alive``).
        self.kc.start_channels(hb=False)
        self.kc.wait_for_ready(timeout=120)
        self.started += 1
        self._run_code(WARM_IMPORTS)

    def stop(self) -> None:
        """Shut the kernel down."""
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self._sync(self.km.shutdown_kernel)(now=True)
        self.km = self.kc = None

    def _run_code(self, code: str) -> None:
        reply = self.kc.execute_interactive(code, store_history=False, timeout=120, output_hook=lambda _m: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def alive(self) -> bool:
        return self.km is not None and self.km.has_kernel and self._sync(self.km.is_alive)()

    def execute(self, notebook: str, parameters: dict, out_dir: str, pdf: bool = False) -> dict:
        """Execute and render in the warm kernel; a dead kernel is replaced and the notebook retried once."""
        if not self.alive():
            self._restart()
        try:
            return _execute(notebook, parameters, out_dir, pdf, self.renderer, self._in_warm_kernel)
        except Exception:
            if self.alive():
                raise  # the notebook failed, not the kernel
        self._restart()
        return _execute(notebook, parameters, out_dir, pdf, self.renderer, self._in_warm_kernel)

    def _restart(self) -> None:
        self.stop()
        self.start()

    def _in_warm_kernel(self, src: Path, target: Path, params: dict) -> None:
        self._run_code(_RESET.format(cwd=str(src.parent)))
        _papermill_run(src, target, params, self.kernel, km=self.km)


def remove_outputs(out_dir: Path, name: str) -> None:
    """Delete a notebook's previous outputs, so a failed run leaves nothing stale that looks complete."""
    for suffix in (".ipynb", ".html", ".pdf"):
        (out_dir / f"{name}{suffix}").unlink(missing_ok=True)
