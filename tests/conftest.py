"""Session-wide fixtures: the demo year is generated once and shared read-only; its reports are rendered once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import rendered_demo
from factories import DemoProject, tree_digest

from examkit.core.i18n import set_lang


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Every test starts in Chinese, the default, and leaves the process in it: a test (or a command run with
    ``--lang en``) that switches to English changes a process-wide setting that later tests would inherit."""
    set_lang("zh")
    yield
    set_lang("zh")


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoProject]:
    """The generated demo year (``params/``, ``data/demo/``), shared by every test: never write to it.

    At the end of the session its files must be byte-identical to what the generator wrote.
    """
    project = rendered_demo.demo_project(tmp_path_factory)
    yield project
    before, after = rendered_demo.demo_digest(tmp_path_factory), tree_digest(project.root)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], "a test wrote to the shared demo year (use the demo_copy fixture to change it)"


@pytest.fixture
def demo_copy(demo_project: DemoProject, tmp_path: Path) -> DemoProject:
    """A private, writable copy of the demo project under ``tmp_path``."""
    return demo_project.copy_to(tmp_path / "project")


@pytest.fixture(scope="session")
def demo_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole year's rendered reports and index (or ``EXAMKIT_REPORTS_DIR`` when set)."""
    return rendered_demo.rendered_demo(tmp_path_factory)
