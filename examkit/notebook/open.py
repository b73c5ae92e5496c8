"""``open_batch``: the first cell of every batch notebook.

``session = open_batch(batch, params_file)`` finds the batch's data in one of four ways, first match wins:

1. ``params_file`` names a ``params/<batch>.yaml`` file (``examkit run`` passes its absolute path): everything
   comes from that file (``load_batch_params``).
2. ``params_file`` is ``FIXTURE`` (what the notebooks start on): the small fixture batch in ``data/fixture/``.
3. No ``params_file`` but paths given by name (the keyword form of tests and older notebooks): exactly those.
4. Neither: ``params/<batch>.yaml`` of the project (``default_params_dir()``), else the fixture when ``batch``
   is the fixture's batch.

Other keywords (``report_mode``, ``grader``, ``lang``…) are laid over what was found.
"""

from __future__ import annotations

import os
from pathlib import Path

from examkit.core.exceptions import ConfigError
from examkit.core.i18n import set_lang, t
from examkit.notebook.display import setup
from examkit.session.batch import BatchSession
from examkit.settings.params import PATH_KEYS, load_batch_params
from examkit.settings.resources import default_params_dir

FIXTURE = "fixture"  # the ``params_file`` value naming the small fixture batch in ``data/fixture/``
FIXTURE_BATCH = "2023-01"  # the one batch the fixture holds


def fixture_dir() -> Path:
    """``data/fixture/`` of the checkout (beside the shipped ``params/`` folder)."""
    return default_params_dir().parent / "data" / "fixture"


def fixture_params() -> dict:
    """The parameters of the fixture batch (what the notebooks opened on before the picker)."""
    root = fixture_dir()
    return {
        "batch": FIXTURE_BATCH,
        "lang": "zh",
        "registrations": str(root / "registrations" / f"{FIXTURE_BATCH}.xlsx"),
        "registrations_dir": str(root / "registrations"),
        "schools": str(root / "schools.xlsx"),
        "payments": str(root / "payments.csv"),
        "gradebook": str(root / "gradebook.sqlite"),
        "scores": str(root / "scores" / f"{FIXTURE_BATCH}.xlsx"),
        "settings_dir": str(default_params_dir()),
        "params_file": FIXTURE,
    }


def batch_params(batch: str, params_file: str | os.PathLike = "", **overrides: object) -> dict:
    """The parameters ``open_batch`` opens the batch with (see the module docstring for the order)."""
    batch = str(batch or "").strip()
    source = str(params_file or "").strip()
    if source == FIXTURE:
        found = fixture_params()
    elif source:
        found = load_batch_params(source).values
    elif any(overrides.get(k) for k in PATH_KEYS):
        return {"batch": batch, **overrides}
    else:
        own = default_params_dir() / f"{batch}.yaml"
        if own.is_file() or batch != FIXTURE_BATCH:
            found = load_batch_params(own).values  # a missing file is reported by name
        else:
            found = fixture_params()
    if batch and batch != found["batch"]:
        where = t("session.fixture_name") if found["params_file"] == FIXTURE else found["params_file"]
        raise ConfigError(t("session.batch_mismatch", file=where, found=found["batch"], batch=batch))
    return {**found, **overrides}


def open_batch(batch: str, params_file: str | os.PathLike = "", **overrides: object) -> BatchSession:
    """Start a batch report: find its parameters, set the language and return the session."""
    params = batch_params(batch, params_file, **overrides)
    lang = str(params.get("lang") or "zh")
    set_lang(lang)
    setup(lang)
    return BatchSession(batch_id=str(params["batch"]), params=params)
