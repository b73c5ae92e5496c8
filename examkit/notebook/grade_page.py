"""``examkit grade``: the grading form as a standalone web page (Voilà on localhost).

For teachers who have never used Jupyter: no code, no notebook interface, just the form.
The command starts Voilà on ``notebooks/grade_app.ipynb`` as a child process, bound to
127.0.0.1, passes the batch's parameters file and the grader's name through environment
variables (Voilà kernels inherit the server's environment), prints the address to open,
and stops the server and its kernels cleanly on Ctrl-C.
"""

from __future__ import annotations

import html
import os
from urllib.parse import parse_qs

from examkit.core.exceptions import ExamkitError
from examkit.core.i18n import set_lang, t
from examkit.io.grader_tokens import TokenTable
from examkit.notebook.open import open_batch
from examkit.notebook.widgets import grading_form
from examkit.settings.params import load_batch_params

ENV_PARAMS = "EXAMKIT_GRADE_PARAMS"  # absolute path of params/<batch>.yaml
ENV_GRADER = "EXAMKIT_GRADE_GRADER"  # the grader's name ('' = typed in the page)
ENV_TOKENS = "EXAMKIT_GRADE_TOKENS"  # LAN mode: the tokens file; the grader is whoever the link's token names


# --------------------------------------------------------------------------- inside the page's kernel


def page(params_file: str = "", grader: str = ""):
    """What the page shows: the grading form for the batch in ``$EXAMKIT_GRADE_PARAMS`` (else ``params_file``).

    Without a parameters file it shows how to start the page (so the notebook also runs headless).
    Problems are shown as a message in the page, never as a traceback.
    """
    import ipywidgets as W  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    params_file = os.environ.get(ENV_PARAMS) or params_file
    grader = os.environ.get(ENV_GRADER) or grader
    if os.environ.get("EXAMKIT_LANG") in ("zh", "en"):
        set_lang(os.environ["EXAMKIT_LANG"])
    if not params_file:
        return W.HTML(f"<p>{html.escape(t('grade_app.how_to_start'))}</p>")
    locked = bool(os.environ.get(ENV_TOKENS))
    if locked:  # LAN mode: never a typed or passed name, only the one the link's token stands for
        grader = lan_grader(os.environ[ENV_TOKENS], os.environ.get("QUERY_STRING", "")) or ""
        if not grader:
            return W.HTML(f'<p style="color:#b00020">{html.escape(t("lan.bad_link"))}</p>')
    try:
        values = load_batch_params(params_file).values
        return build_form(values, grader, locked=locked)
    except ExamkitError as exc:
        return W.HTML(f'<p style="color:#b00020">{html.escape(str(exc))}</p>')


def lan_grader(tokens_file: str, query_string: str) -> str | None:
    """The grader named by the ``token`` of the page request's query (Voilà passes it as ``QUERY_STRING``)."""
    tokens = parse_qs(query_string).get("token") or []
    return TokenTable(tokens_file).grader(tokens[0]) if len(tokens) == 1 else None


def build_form(values: dict, grader: str = "", *, locked: bool = False):
    """The grading form for one batch's parameters: the same form ``grading.ipynb`` shows, same setup
    (candidates registered, a paper score sheet imported, double marking switched on as the parameters say).
    ``locked``: the grader's name is fixed (LAN links)."""
    return grading_form(open_batch(**{**values, "grader": grader, "grader_locked": locked, "report_mode": False}))
