"""The one look of examkit's pages: the stylesheet, its font stack and the Jinja2 page templates.

Reports (through nbconvert, ``templates/report.html.j2``), the index (``index.html.j2``) and the
publicity list (``publicity.html.j2``) share one page head (``head.html.j2``) and inline one
stylesheet (``templates/examkit.css``): a page loads nothing. The font stack is defined once, as
``--ek-font`` in that stylesheet; ``FONT_STACK`` reads it from there for the charts' theme.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

STYLESHEET = "examkit.css"
HEAD = "head.html.j2"
REPORT = "report.html.j2"
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_FONT = re.compile(r"--ek-font:([^;}]+)")


def template_text(name: str) -> str:
    """The text of ``templates/<name>`` (package data)."""
    return resources.files("examkit.report").joinpath("templates", name).read_text(encoding="utf-8")


@functools.cache
def stylesheet() -> str:
    """The stylesheet every page inlines: comments dropped, lines joined (one rule per line in the file)."""
    css = "".join(line.strip() for line in _COMMENT.sub("", template_text(STYLESHEET)).splitlines())
    if "</" in css or "@import" in css:
        raise ValueError(f"{STYLESHEET}: no '</' (it would close the style element), no @import (pages load nothing)")
    return css


def _font_stack() -> str:
    found = _FONT.search(stylesheet())
    if found is None:
        raise ValueError(f"{STYLESHEET} defines no --ek-font")
    return found.group(1).strip()


# The font stack (a CSS list) of every page and chart: SVG text takes the same list.
FONT_STACK = _font_stack()


def html_lang(lang: str | None) -> str:
    """The ``<html lang>`` of a page in examkit's language ``lang`` ("zh" or "en")."""
    return "zh-CN" if lang == "zh" else "en"


def report_templates() -> dict[str, str]:
    """The report template and the page head it includes, by name, for nbconvert's ``jinja2.DictLoader``."""
    return {name: template_text(name) for name in (REPORT, HEAD)}


@functools.cache
def _environment():
    """The Jinja2 environment of the index and the publicity list: autoescaped, strict, built once."""
    import jinja2  # noqa: PLC0415  heavy import, only when needed (keeps the CLI's start-up fast)

    return jinja2.Environment(
        loader=jinja2.PackageLoader("examkit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_page(template_name: str, **context: Any) -> str:
    """``templates/<template_name>`` (a page extending ``page.html.j2``) rendered with ``context``.

    Values are escaped by the template; one that is markup on purpose is marked ``|safe`` there
    and must have been escaped when it was built. The stylesheet is passed as ``stylesheet``.
    """
    return _environment().get_template(template_name).render(stylesheet=stylesheet(), **context)
