"""The small fixture batch committed in ``data/fixture/`` (notebook defaults, nbval): ``python -m examkit.demo.fixture``."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

FIXTURE_BATCH = "2023-01"


def write_fixture(target: str | Path, seed: int = 2023) -> Path:
    """Generate the demo year in a temp folder and keep one batch's inputs (no gradebook)."""
    from examkit.demo import write_demo

    target = Path(target)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        write_demo(src, seed=seed)
        for sub in ("registrations", "scores"):
            (target / sub).mkdir(parents=True, exist_ok=True)
            for f in (src / sub).glob(f"{FIXTURE_BATCH}.*"):
                shutil.copy2(f, target / sub / f.name)
        for name in ("schools.xlsx", "payments.csv"):
            shutil.copy2(src / name, target / name)
    return target


if __name__ == "__main__":
    print(write_fixture(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "data" / "fixture"))
