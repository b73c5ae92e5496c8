"""The grading form: ipywidgets over the gradebook, the logic in ``examkit.core.grading``.

Every change is saved at once (``continuous_update=False``: on Enter or leaving the field) with the
version the form read, so a second grader's change is never silently overwritten: the form shows
the current value instead. Nothing the form reports as saved exists only in the browser.
"""

from __future__ import annotations

import datetime as dt
import html

import ipywidgets as W

from examkit.core.exceptions import GradebookError, StaleWriteError
from examkit.core.grading import check_mark, next_ungraded, partial_total, progress, search, status_of, total, verdict
from examkit.core.i18n import get_lang, t
from examkit.core.notice import notice_for_batch
from examkit.report.double_marking import ensure
from examkit.store.gradebook import Gradebook

_ERROR = '<span style="color:#b00020">{}</span>'
_OK = '<span style="color:#1b5e20">{}</span>'
_MUTED = '<span style="color:#555">{}</span>'


def _fluid(width: str) -> W.Layout:
    """As wide as ``width`` on a laptop, never wider than the screen (a 375 px phone)."""
    return W.Layout(width=width, max_width="100%")


def _row(children: list) -> W.HBox:
    """A row that wraps onto the next line when the screen is too narrow for it."""
    return W.HBox(children, layout=W.Layout(flex_flow="row wrap", align_items="center", max_width="100%"))


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class GradingForm(W.VBox):
    """Grade one batch candidate by candidate: bounded mark inputs, live total, flags, search, progress."""

    def __init__(
        self,
        gradebook: Gradebook,
        batch: str,
        *,
        grader: str = "",
        lang: str | None = None,
        grader_locked: bool = False,
    ) -> None:
        """``grader_locked``: the name is fixed (the LAN page: it comes from the grader's link), not editable."""
        self.gradebook = gradebook
        self.batch = batch
        self.lang = lang or get_lang()
        self.rubric = gradebook.rubric(batch)
        self.notice = notice_for_batch(batch)
        self.candidate_list = gradebook.candidates(batch).select("candidate_no", "name")
        self.current: str | None = None
        self.versions: dict[str, int] = {}
        self.flag_version = 0
        self._loading = False
        self.double = gradebook.double_marking(batch)  # double marking: each grader sees only her own round
        self.round: int | None = 1
        tr = self._t

        self.grader_locked = grader_locked
        self._locked_name = grader
        self.grader_box = W.Text(
            value=grader,
            description=tr("grading.grader"),
            placeholder=tr("grading.grader_placeholder"),
            disabled=grader_locked,
            layout=_fluid("28em"),
        )
        self.search_box = W.Text(
            description=tr("grading.search"), placeholder=tr("grading.search_placeholder"), layout=_fluid("22em")
        )
        self.matches = W.Dropdown(description=tr("grading.candidate"), options=[], layout=_fluid("28em"))
        self.next_button = W.Button(description=tr("grading.next_ungraded"), icon="forward", layout=_fluid("14em"))
        self.absent_button = W.ToggleButton(description=tr("grading.absent"))
        self.void_button = W.ToggleButton(description=tr("grading.void"))
        self.inputs: dict[str, W.Text] = {}
        self.item_errors: dict[str, W.HTML] = {}
        self.item_states: dict[str, W.HTML] = {}  # "saved 10:42:07" per mark, so a phone shows it beside the field
        self.item_hints: dict[str, W.HTML] = {}
        rows = []
        for item in self.rubric.items:
            box = W.Text(
                description=item.name(self.lang),
                placeholder=f"0–{item.max:g}",
                continuous_update=False,
                layout=_fluid("22em"),
                style={"description_width": "10em"},
            )
            box.add_class("examkit-mark")  # the page's template gives these inputmode="decimal" (numeric keypad)
            hint = W.HTML(
                _MUTED.format(html.escape(tr("grading.max_hint", max=f"{item.max:g}", step=f"{item.step:g}")))
            )
            err, state = W.HTML(), W.HTML()
            box.observe(lambda change, item_id=item.id: self._on_mark(item_id, change), names="value")
            self.inputs[item.id], self.item_errors[item.id], self.item_hints[item.id] = box, err, hint
            self.item_states[item.id] = state
            rows.append(_row([box, hint, state, err]))
        self.total_label = W.HTML()
        self.verdict_label = W.HTML()
        self.status_line = W.HTML()
        self.round_line = W.HTML()
        self.progress_bar = W.IntProgress(min=0, max=1, value=0)
        self.progress_label = W.HTML()

        self.search_box.observe(self._on_search, names="value")
        self.matches.observe(self._on_pick, names="value")
        self.next_button.on_click(lambda _b: self.go_next())
        self.grader_box.observe(self._on_grader, names="value")
        self.absent_button.observe(lambda change: self._on_flag("absent", change), names="value")
        self.void_button.observe(lambda change: self._on_flag("void", change), names="value")

        title = W.HTML(f"<h3>{html.escape(tr('grading.title', batch=batch))}</h3>")
        notes = [W.HTML(_MUTED.format(html.escape(tr("grading.rubric_example"))))] if self.rubric.is_example else []
        super().__init__(
            [
                title,
                *notes,
                _row([self.progress_bar, self.progress_label]),
                self.grader_box,
                _row([self.search_box, self.matches, self.next_button]),
                self.round_line,
                _row([self.absent_button, self.void_button]),
                *rows,
                _row([self.total_label, self.verdict_label]),
                self.status_line,
            ],
            layout=W.Layout(max_width="100%"),
        )
        self.add_class("examkit-grading")
        self._set_options(self.candidate_list)
        self.refresh_progress()
        first = self._next(None) or (self.candidate_list.item(0, 0) if self.candidate_list.height else None)
        if first is not None:
            self.load(first)

    @property
    def grader(self) -> str:
        """Who is recorded with each save: the fixed name when locked (whatever the browser sends), else the box."""
        return self._locked_name if self.grader_locked else self.grader_box.value

    def _t(self, key: str, **fields: object) -> str:
        return t(key, self.lang, **fields)

    # ------------------------------------------------------------------ navigation

    def _set_options(self, frame) -> None:
        options = [(f"{no} {name or ''}".strip(), no) for no, name in frame.iter_rows()]
        was, self._loading = self._loading, True
        try:
            self.matches.options = options
            self.matches.value = self.current if self.current in {o[1] for o in options} else None
        finally:
            self._loading = was

    def _on_search(self, change: dict) -> None:
        if not change["new"].strip():
            self._set_options(self.candidate_list)
            return
        found = search(self.candidate_list, change["new"])
        if found.height == 0:
            self.status_line.value = _ERROR.format(html.escape(self._t("grading.no_match", query=change["new"])))
            return
        self._set_options(found)
        if found.height == 1 or found.item(0, 0) == change["new"].strip():
            self.load(found.item(0, 0))

    def _on_pick(self, change: dict) -> None:
        if not self._loading and change["new"] and change["new"] != self.current:
            self.load(change["new"])

    def go_next(self) -> str | None:
        """Move to the next ungraded candidate (None when the batch is done)."""
        nxt = self._next(self.current)
        if nxt is None:
            self.status_line.value = _OK.format(html.escape(self._t("grading.all_done")))
            return None
        self.load(nxt)
        return nxt

    def load(self, candidate_no: str) -> None:
        """Show one candidate's stored marks and flag (the versions the next saves will expect)."""
        self.round = self._round_for(candidate_no)
        marks = self.gradebook.candidate_marks(self.batch, candidate_no, marking_round=self.round or 1)
        if self.double is not None and self.round != 1:  # auto-scored items live in round 1 only
            first = self.gradebook.candidate_marks(self.batch, candidate_no)
            marks = {i: first[i] if self.rubric.item(i).auto_scored else m for i, m in marks.items()}
        flag = self.gradebook.flag(self.batch, candidate_no)
        self._loading = True
        try:
            self.current = candidate_no
            if candidate_no not in {o[1] for o in self.matches.options}:
                self._set_options(self.candidate_list)
            self.matches.value = candidate_no
            for item_id, box in self.inputs.items():
                box.value = _fmt(marks[item_id].value)
                self.item_errors[item_id].value = ""
                self.item_states[item_id].value = ""
            self.versions = {item_id: m.version for item_id, m in marks.items()}
            self.absent_button.value = flag.value == "absent"
            self.void_button.value = flag.value == "void"
            self.flag_version = flag.version
        finally:
            self._loading = False
        self.status_line.value = ""
        self._show_flag_state()
        self.refresh_total()

    # ------------------------------------------------------------------ saving

    def _on_mark(self, item_id: str, change: dict) -> None:
        if self._loading:
            return
        err = self.item_errors[item_id]
        self.item_states[item_id].value = ""  # never "saved" beside a value that is not
        if self.current is None:
            err.value = _ERROR.format(html.escape(self._t("grading.pick_candidate")))
            return
        if self.round is None:  # double marking: this grader has no round of this candidate
            err.value = self.round_line.value
            return
        item = self.rubric.item(item_id)
        check = check_mark(change["new"], item, self.lang)
        if not check.ok:
            err.value = _ERROR.format(html.escape(self._t("grading.not_saved", error=check.error)))
            self.status_line.value = _ERROR.format(html.escape(self._t("grading.not_saved", error=check.error)))
            self.refresh_total()
            return
        try:
            saved = self.gradebook.save_mark(
                self.batch,
                self.current,
                item_id,
                check.value,
                grader=self.grader,
                expected_version=self.versions.get(item_id, 0),
                marking_round=self.round or 1,
            )
        except StaleWriteError as exc:
            current = self.gradebook.mark(self.batch, self.current, item_id, marking_round=self.round or 1)
            self._show_value(item_id, current.value)
            self.versions[item_id] = current.version
            err.value = _ERROR.format(html.escape(str(exc)))
            self.status_line.value = _ERROR.format(html.escape(str(exc)))
        except GradebookError as exc:
            err.value = _ERROR.format(html.escape(self._t("grading.not_saved", error=str(exc))))
            self.status_line.value = _ERROR.format(html.escape(self._t("grading.not_saved", error=str(exc))))
        else:
            self.versions[item_id] = saved.version
            err.value = ""
            self._saved(saved.changed)
            self.item_states[item_id].value = self.status_line.value
        self.refresh_total()

    def _show_value(self, item_id: str, value: float | None) -> None:
        self._loading = True
        try:
            self.inputs[item_id].value = _fmt(value)
        finally:
            self._loading = False

    def _on_flag(self, flag: str, change: dict) -> None:
        if self._loading or self.current is None:
            return
        new = flag if change["new"] else None
        if new is None and (self.absent_button.value or self.void_button.value):
            return  # the other flag's button was switched on; its own handler saves
        try:
            saved = self.gradebook.set_flag(
                self.batch, self.current, new, grader=self.grader, expected_version=self.flag_version
            )
        except StaleWriteError as exc:
            self.status_line.value = _ERROR.format(html.escape(str(exc)))
            current = self.gradebook.flag(self.batch, self.current)
            self._set_flag_buttons(current.value)
            self.flag_version = current.version
        except GradebookError as exc:
            self.status_line.value = _ERROR.format(html.escape(self._t("grading.not_saved", error=str(exc))))
            self._set_flag_buttons(self.gradebook.flag(self.batch, self.current).value)
        else:
            self.flag_version = saved.version
            self._set_flag_buttons(new)
            self._saved(saved.changed)
        self._show_flag_state()
        self.refresh_total()

    def _set_flag_buttons(self, flag: str | None) -> None:
        self._loading = True
        try:
            self.absent_button.value = flag == "absent"
            self.void_button.value = flag == "void"
        finally:
            self._loading = False

    def _show_flag_state(self) -> None:
        for item_id, box in self.inputs.items():
            # an absent candidate has nothing to grade; in double marking, a grader without a round of
            # this candidate grades nothing, and auto-scored items (theory) are not marked per round
            locked = self.double is not None and (self.round is None or self.rubric.item(item_id).auto_scored)
            box.disabled = self.absent_button.value or locked

    # ------------------------------------------------------------------ double marking

    def _round_for(self, candidate_no: str) -> int | None:
        """This grader's round of ``candidate_no`` (always 1 for single marking; None: nothing to mark)."""
        if self.double is None:
            return 1
        try:
            rnd = self.gradebook.marking_round_for(self.batch, candidate_no, self.grader)
        except GradebookError as exc:
            self.round_line.value = _ERROR.format(html.escape(str(exc)))
            return None
        self.round_line.value = _MUTED.format(
            html.escape(self._t("agreement.form_round", round=self._t(f"agreement.round_{rnd}")))
        )
        return rnd

    def _on_grader(self, change: dict) -> None:
        if self.grader_locked:  # a locked name cannot be changed from the browser, not even by a crafted message
            if change["new"] != self._locked_name:
                self.grader_box.value = self._locked_name
            return
        if self.double is not None and self.current is not None and not self._loading:
            self.load(self.current)  # the round (and so the marks shown) depends on who grades

    def _next(self, current: str | None) -> str | None:
        """The next candidate to grade: the next ungraded, or in double marking the next with work for this grader."""
        if self.double is None:
            return next_ungraded(self.gradebook.results(self.batch), current)
        if not self.grader.strip():
            return None
        todo = self.gradebook.to_mark(self.batch, self.grader)
        later = [c for c in todo if current is None or c > current]
        return (later or todo or [None])[0]

    def _saved(self, changed: bool) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        text = self._t("grading.saved", time=stamp) if changed else self._t("grading.unchanged")
        self.status_line.value = _OK.format(html.escape(text))
        self.refresh_progress()

    # ------------------------------------------------------------------ live figures

    def values(self) -> dict[str, float | None]:
        """The marks as the form shows them (invalid entries count as blank)."""
        return {i.id: check_mark(self.inputs[i.id].value, i, self.lang).value for i in self.rubric.items}

    def refresh_total(self) -> None:
        """Update the total and pass/fail line from what the form shows."""
        vals = self.values()
        flag = "absent" if self.absent_button.value else "void" if self.void_button.value else None
        status = status_of(vals, flag, self.rubric)
        full = f"{self.rubric.full_mark:g}"
        tot = total(vals, self.rubric)
        if tot is None:
            missing = sum(v is None for v in vals.values())
            self.total_label.value = html.escape(
                self._t("grading.total_partial", total=f"{partial_total(vals):g}", full=full, missing=missing)
            )
        else:
            self.total_label.value = f"<b>{html.escape(self._t('grading.total_line', total=f'{tot:g}', full=full))}</b>"
        ok = verdict(status, tot, self.notice)
        key = {"absent": "verdict_absent", "void": "verdict_void"}.get(status) or (
            "verdict_pending" if ok is None else "verdict_pass" if ok else "verdict_fail"
        )
        text = html.escape(self._t(f"grading.{key}", pass_mark=self.notice.pass_mark))
        self.verdict_label.value = (_OK if ok else _ERROR if ok is False else _MUTED).format(text)

    def refresh_progress(self) -> None:
        """Update the progress bar from the gradebook (other graders' work included)."""
        p = progress(self.gradebook.results(self.batch))
        self.progress_bar.max = max(p.total, 1)
        self.progress_bar.value = p.done
        self.progress_label.value = html.escape(
            self._t("grading.progress", done=p.done, total=p.total, graded=p.graded, absent=p.absent, void=p.void)
        )


def grading_form(session) -> GradingForm | None:
    """The grading form for an interactive session; None when the notebook runs as a report (``report_mode``)."""
    if session.params.get("report_mode"):
        return None

    ensure(session.gradebook, session.batch_id, session.params, session.settings_dir)  # `double_marking: true`
    return GradingForm(
        session.gradebook,
        session.batch_id,
        grader=str(session.params.get("grader") or ""),
        lang=session.lang,
        grader_locked=bool(session.params.get("grader_locked")),
    )
