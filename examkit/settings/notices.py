"""Notices a project imported (``params/notices/notice_YYYY.yaml``), used beside the ones shipped in the package.

``examkit.core.notice`` keeps the search path; this module knows where a project keeps its
notices. The CLI calls ``use_project_notices`` with the command's params folder, and a batch
session with its ``settings_dir``.
"""

from __future__ import annotations

import os
from pathlib import Path

from examkit.core.notice import add_notice_dir, notice_dirs
from examkit.settings.resources import default_params_dir

NOTICES_DIR = "notices"


def notices_dir(params_dir: str | os.PathLike) -> Path:
    """The folder of a params folder's imported notices."""
    return Path(params_dir) / NOTICES_DIR


def use_project_notices(params_dir: str | os.PathLike | None = None) -> None:
    """Read notices from the shipped ``params/notices`` and, searched first, from ``params_dir/notices``."""
    wanted = [notices_dir(params_dir)] if params_dir is not None else []
    wanted.append(notices_dir(default_params_dir()))
    if list(notice_dirs()[: len(wanted)]) == [w.resolve() for w in wanted]:
        return  # already searched in this order: the notices read stay cached
    for folder in reversed(wanted):
        add_notice_dir(folder)
