"""The notice at the top of every report that reads the year so far: each registrations file it could not
read, the batch the file is named after, and why. Those batches are unknown, not empty."""

from __future__ import annotations

import re
from collections.abc import Sequence

from examkit.core.i18n import t
from examkit.intake.registrations import UnreadableFile


def markdown_text(text: str) -> str:
    """``text`` shown as is inside markdown (file names and messages may hold ``_``, ``*``…)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def unreadable_markdown(files: Sequence[UnreadableFile], catalog: str, lang: str | None = None) -> str:
    """The notice as markdown (``catalog``: whose words, ``fees`` or ``analytics``); empty when every file was read."""
    if not files:
        return ""
    lines = [f"**{t(f'{catalog}.unreadable_title', lang, n=len(files))}**", ""]
    for u in files:
        batch = u.batch or t(f"{catalog}.unreadable_no_batch", lang)
        item = t(f"{catalog}.unreadable_item", lang, file=u.name, batch=batch, reason=u.reason)
        lines.append(f"- {markdown_text(item)}")
    return "\n".join(lines)
