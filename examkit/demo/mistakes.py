"""Realistic registration mistakes planted in the demo year (owned by the validation work)."""

from __future__ import annotations

import random

from examkit.demo.generate import DemoYear


def plant(demo: DemoYear, rng: random.Random) -> list[dict]:
    """Plant mistakes into ``demo.registrations``; return what was planted (for ``planted.json``)."""
    return []
