"""Per-batch parameters (``params/<batch>.yaml``) and the shared settings beside them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from examkit.core.exceptions import ConfigError, os_error_text
from examkit.core.i18n import t
from examkit.core.yamltext import parse_yaml
from examkit.settings.resources import settings_file

# Parameters whose values are paths; relative ones are resolved against the project folder.
PATH_KEYS = (
    "registrations",
    "registrations_dir",
    "schools",
    "payments",
    "gradebook",
    "scores",
    "settings_dir",
    "theory_key",
    "theory_responses",
    "store",
)


def read_yaml(path: str | os.PathLike) -> dict:
    """A YAML mapping from ``path``, or ``ConfigError`` naming the file."""
    p = Path(path)
    try:
        data = parse_yaml(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(t("config.cannot_read", file=str(p), error=os_error_text(exc))) from None
    except yaml.YAMLError as exc:
        raise ConfigError(t("config.bad_yaml", file=str(p), error=str(exc).splitlines()[0])) from None
    if not isinstance(data, dict):
        raise ConfigError(t("config.not_mapping", file=str(p)))
    return data


@dataclass(frozen=True)
class BatchParams:
    """One batch's papermill parameters, paths made absolute."""

    file: Path
    values: dict

    @property
    def batch(self) -> str:
        return str(self.values["batch"])

    def notebook_parameters(self) -> dict:
        """What papermill injects: plain strings, numbers and booleans only."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.values.items()}


BATCH_FILES = "[0-9][0-9][0-9][0-9]-[0-9][0-9].yaml"  # params/YYYY-NN.yaml: one batch's parameters


def batch_params_files(folder: str | os.PathLike) -> list[Path]:
    """The batch parameters files of a params folder (``YYYY-NN.yaml``), in batch order."""
    return sorted(Path(folder).glob(BATCH_FILES))


def project_dir_of(params_file: Path) -> Path:
    """The project folder: the parent of the ``params/`` folder holding ``params_file``."""
    return params_file.resolve().parent.parent


def load_batch_params(path: str | os.PathLike) -> BatchParams:
    """Read ``params/<batch>.yaml`` and resolve its relative paths against the project folder."""
    p = Path(path)
    raw = read_yaml(p)
    if "batch" not in raw:
        raise ConfigError(t("config.missing_key", file=str(p), key="batch"))
    raw["batch"] = str(raw["batch"])
    base = project_dir_of(p)
    values = dict(raw)
    for key in PATH_KEYS:
        if values.get(key):
            q = Path(str(values[key]))
            values[key] = str(q if q.is_absolute() else (base / q).resolve())
    values.setdefault("settings_dir", str(p.resolve().parent))
    values["params_file"] = str(p.resolve())
    return BatchParams(file=p.resolve(), values=values)


def load_settings(name: str, params_dir: str | os.PathLike | None = None) -> dict:
    """A shared settings file (``policy.yaml``, ``prices.yaml``…) from ``params_dir`` or the shipped defaults."""
    return read_yaml(settings_file(name, params_dir))
