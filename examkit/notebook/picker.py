"""The batch picker of the opening cell: switch a notebook to another batch without typing a path.

The choices are the fixture batch and every ``params/YYYY-NN.yaml`` of the project. Choosing one opens that
batch (``open_batch``) and rebinds ``session``, ``batch`` and ``params_file`` in the kernel's namespace, so
re-running the opening cell keeps the choice and every cell below reads the new batch.

Why the teacher runs the cells below instead of the picker doing it: in JupyterLab 4, kernel code cannot run
notebook cells. There is no ``Jupyter.notebook`` object for a ``Javascript`` output to call, command-linker
buttons depend on a sanitizer setting, and ipylab needs a front-end extension. So the picker says plainly
what to do, and shows the chosen batch's summary at once so the teacher sees the switch happened.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as W

from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import label, t
from examkit.core.notice import notice_for_batch
from examkit.notebook.open import FIXTURE, FIXTURE_BATCH, fixture_dir, open_batch
from examkit.report.batch_info import batch_summary
from examkit.report.tables import table
from examkit.session.batch import BatchSession
from examkit.settings.params import batch_params_files, load_batch_params
from examkit.settings.resources import default_params_dir

CARRIED = ("grader",)  # what the notebook's opening cell passed that a new batch keeps

_ERROR = '<span style="color:#b00020">{}</span>'
_OK = '<span style="color:#1b5e20">{}</span>'
_MUTED = '<span style="color:#555">{}</span>'


@dataclass(frozen=True)
class BatchChoice:
    """One entry of the picker: what it shows, the ``params_file`` it opens (or ``FIXTURE``), its batch."""

    label: str
    params_file: str
    batch: str


def _batch_label(batch: str, lang: str | None) -> str:
    try:
        b = notice_for_batch(batch).batch(batch)
    except ExamkitError:  # a batch the notice does not know: opening it will say so
        return batch
    return t("session.picker_batch", lang, batch=b.id, name=b.name_zh, level=label(b.level, lang))


def batch_choices(params_dir: str | Path | None = None, lang: str | None = None) -> tuple[list[BatchChoice], list[str]]:
    """The fixture (when present) and each ``params/YYYY-NN.yaml`` in batch order; unreadable files as messages."""
    folder = Path(params_dir) if params_dir is not None else default_params_dir()
    choices: list[BatchChoice] = []
    if fixture_dir().is_dir():
        choices.append(BatchChoice(t("session.picker_fixture", lang, batch=FIXTURE_BATCH), FIXTURE, FIXTURE_BATCH))
    problems: list[str] = []
    for f in batch_params_files(folder):
        try:
            values = load_batch_params(f).values
        except ExamkitError as exc:
            problems.append(str(exc))
            continue
        text = t("session.picker_option", lang, batch=_batch_label(values["batch"], lang), file=f.name)
        registrations = values.get("registrations")
        if registrations and not Path(registrations).exists():
            text += t("session.picker_no_data", lang)
        choices.append(BatchChoice(text, values["params_file"], values["batch"]))
    return choices, problems


def _kernel_namespace() -> dict | None:
    from IPython import get_ipython  # noqa: PLC0415  heavy import, only inside a kernel

    ip = get_ipython()
    return ip.user_ns if ip is not None else None


class BatchPicker(W.VBox):
    """A dropdown of batches; a choice opens that batch, rebinds the notebook's ``session`` and shows its summary."""

    def __init__(
        self, session: BatchSession, *, params_dir: str | Path | None = None, namespace: dict | None = None
    ) -> None:
        self.session = session
        self.lang = session.lang
        self.namespace = namespace if namespace is not None else _kernel_namespace()
        own = str(session.params.get("params_file") or "")
        if params_dir is None:
            params_dir = Path(own).parent if own not in ("", FIXTURE) else default_params_dir()
        self.params_dir = Path(params_dir)
        self.choices, problems = batch_choices(self.params_dir, self.lang)
        if own not in {c.params_file for c in self.choices}:  # opened some other way: keep it on the list
            self.choices.insert(
                0, BatchChoice(t("session.picker_as_opened", self.lang, batch=session.batch_id), own, session.batch_id)
            )
        self._opened_as = (own, session)
        self._reverting = False
        self.dropdown = W.Dropdown(
            options=[(c.label, c.params_file) for c in self.choices],
            value=own,
            description=t("session.picker_label", self.lang),
            layout=W.Layout(width="42em"),
            style={"description_width": "6em"},
        )
        hint = t("session.picker_hint", self.lang, folder=str(self.params_dir))
        notes = "".join(f"<br>{_ERROR.format(html.escape(p))}" for p in problems)
        self.status = W.HTML(_MUTED.format(html.escape(hint)) + notes)
        self.summary = W.HTML()
        self.dropdown.observe(self._on_choice, names="value")
        super().__init__([self.dropdown, self.status, self.summary])

    def _open(self, choice: BatchChoice) -> BatchSession:
        if choice.params_file == self._opened_as[0]:
            return self._opened_as[1]
        carried = {k: self.session.params[k] for k in CARRIED if k in self.session.params}
        return open_batch(choice.batch, choice.params_file, **carried, report_mode=False)

    def _on_choice(self, change: dict) -> None:
        if self._reverting:
            return
        choice = next(c for c in self.choices if c.params_file == change["new"])
        try:
            session = self._open(choice)
            summary = table(batch_summary(session)).html  # reads the batch's files: a missing one is reported here
        except ExamkitError as exc:
            self.status.value = _ERROR.format(html.escape(t("session.picker_failed", self.lang, error=str(exc))))
            self._reverting = True
            try:
                self.dropdown.value = change["old"]
            finally:
                self._reverting = False
            return
        self.session = session
        if self.namespace is not None:
            self.namespace.update(session=session, batch=session.batch_id, params_file=choice.params_file)
        self.lang = session.lang
        self.status.value = _OK.format(html.escape(t("session.picker_switched", self.lang, batch=session.batch_id)))
        self.summary.value = summary


def batch_picker(
    session: BatchSession, params_dir: str | Path | None = None, namespace: dict | None = None
) -> BatchPicker | None:
    """The batch picker for JupyterLab; None when the notebook runs as a report (``report_mode``)."""
    if session.params.get("report_mode"):
        return None
    return BatchPicker(session, params_dir=params_dir, namespace=namespace)
