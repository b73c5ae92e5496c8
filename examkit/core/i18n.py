"""The message catalog: every user-facing string, Chinese by default, English available.

Messages live in ``examkit/messages/<topic>.yaml`` as ``key: {zh: ..., en: ...}``;
the full key is ``<topic>.<key>``. ``t()`` formats with ``str.format`` fields.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources

from examkit.core.yamltext import parse_yaml

LANGS = ("zh", "en")
_lang = os.environ.get("EXAMKIT_LANG", "zh") if os.environ.get("EXAMKIT_LANG") in LANGS else "zh"


def set_lang(lang: str) -> None:
    """Set the default language for this process (``zh`` or ``en``)."""
    global _lang
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    _lang = lang


def get_lang() -> str:
    return _lang


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """All messages, keyed ``topic.key`` → ``{lang: text}``."""
    out: dict[str, dict[str, str]] = {}
    for entry in resources.files("examkit.messages").iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        topic = entry.name[: -len(".yaml")]
        for key, texts in (parse_yaml(entry.read_text(encoding="utf-8")) or {}).items():
            out[f"{topic}.{key}"] = texts
    return out


def t(key: str, lang: str | None = None, /, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: the process language), formatted with ``fields``."""
    texts = catalog().get(key)
    if texts is None:
        raise KeyError(f"message {key!r} is not in the catalog")
    text = texts.get(lang or _lang) or texts["zh"]
    return text.format(**fields) if fields else text


def label(value: str, lang: str | None = None) -> str:
    """Display name of a coded value (level, status, candidate type…) from ``labels.yaml``."""
    key = f"labels.{value}"
    return t(key, lang) if key in catalog() else str(value)
