"""``outputs/index.html``: one page linking every batch's reports."""

from __future__ import annotations

import html
from pathlib import Path

from examkit.config import BatchParams
from examkit.i18n import t
from examkit.iorw import atomic_write_text
from examkit.resources import NOTEBOOKS


def write_index(out_dir: Path, batches: list[BatchParams]) -> Path:
    rows = []
    for b in sorted(batches, key=lambda b: b.batch):
        links = []
        for nb in NOTEBOOKS:
            f = out_dir / b.batch / f"{nb}.html"
            label = html.escape(t(f"index.nb_{nb}"))
            links.append(f'<a href="{b.batch}/{nb}.html">{label}</a>' if f.exists() else f"<s>{label}</s>")
        rows.append(f"<tr><td>{html.escape(b.batch)}</td><td>{' · '.join(links)}</td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("index.title"))}</title></head>
<body><h1>{html.escape(t("index.title"))}</h1>
<table><thead><tr><th>{html.escape(t("labels.batch"))}</th><th>{html.escape(t("index.reports"))}</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></body></html>
"""
    target = out_dir / "index.html"
    atomic_write_text(target, page)
    return target
