"""``open_batch``: the first cell of every batch notebook."""

from __future__ import annotations

from examkit.core.i18n import set_lang
from examkit.notebook.display import setup
from examkit.session.batch import BatchSession


def open_batch(batch: str, **params: object) -> BatchSession:
    """Start a batch report: set the language and return the session."""
    lang = str(params.get("lang") or "zh")
    set_lang(lang)
    setup(lang)
    return BatchSession(batch_id=str(batch), params={"batch": batch, **params})
