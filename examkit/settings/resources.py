"""Where the shipped notebooks and default settings are: a checkout's own folders, else the package's copies."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent  # examkit/
_CHECKOUT = _PKG.parent


def _first(*candidates: Path) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]


def notebooks_dir() -> Path:
    """The notebooks run for each batch (``notebooks/`` in a checkout, packaged copies in a wheel)."""
    return _first(_CHECKOUT / "notebooks", _PKG / "notebooks")


def default_params_dir() -> Path:
    """The shipped ``params/`` folder: per-batch parameters and shared settings."""
    return _first(_CHECKOUT / "params", _PKG / "params")


def settings_file(name: str, params_dir: str | Path | None = None) -> Path:
    """A shared settings file (``columns.yaml``, ``prices.yaml``, …) from ``params_dir`` or the shipped one."""
    if params_dir is not None:
        p = Path(params_dir) / name
        if p.exists():
            return p
    return default_params_dir() / name


NOTEBOOKS = ("grading", "pass_rates", "fees")
