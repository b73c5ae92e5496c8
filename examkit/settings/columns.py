"""``params/columns.yaml``: which headers (Chinese and English) map to which column, per kind of file."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

from examkit.core.exceptions import ConfigError, os_error_text
from examkit.core.i18n import t
from examkit.core.yamltext import parse_yaml
from examkit.settings.resources import settings_file


def load_columns(path: str | os.PathLike | None = None) -> dict[str, dict[str, list[str]]]:
    """The column mapping: kind → canonical column → accepted headers (first one is the display name)."""
    raw = _columns_spec(path)
    return {
        kind: {col: [str(h) for h in spec["headers"]] for col, spec in cols.items()}
        for kind, cols in raw["kinds"].items()
    }


def columns_for(params_dir: str | os.PathLike | None = None) -> dict[str, dict[str, list[str]]]:
    """The column mapping of ``params_dir`` (else the shipped one)."""
    return load_columns(settings_file("columns.yaml", params_dir))


def column_kinds(params_dir: str | os.PathLike | None = None) -> dict:
    """The raw ``kinds`` block of the column mapping of ``params_dir`` (headers, required, …)."""
    return _columns_spec(settings_file("columns.yaml", params_dir))["kinds"]


def required_columns(kind: str, path: str | os.PathLike | None = None) -> list[str]:
    """The columns of ``kind`` marked ``required`` in the column mapping."""
    return [c for c, spec in _columns_spec(path)["kinds"][kind].items() if spec.get("required")]


def _columns_spec(path: str | os.PathLike | None) -> dict:
    p = Path(path) if path else settings_file("columns.yaml")
    try:
        st = p.stat()
        return _parse_columns(str(p), st.st_mtime_ns, st.st_size)
    except OSError as exc:
        raise ConfigError(t("io.bad_settings", file=str(p), error=os_error_text(exc))) from None


@functools.lru_cache(maxsize=16)
def _parse_columns(path: str, mtime_ns: int, size: int) -> dict:
    """The parsed mapping file (cached until the file changes: every reader call needs it)."""
    try:
        raw = parse_yaml(Path(path).read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("kinds"), dict):
            raise ValueError("no 'kinds' mapping")
    except OSError as exc:
        raise ConfigError(t("io.bad_settings", file=path, error=os_error_text(exc))) from None
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(t("io.bad_settings", file=path, error=str(exc))) from None
    return raw
