"""``python -m examkit.cli.worker SPEC_JSON``: one notebook in its own process, one JSON line on stdout.

The runner (``examkit.run.runner``) starts this per notebook and reads the line.
"""

from __future__ import annotations

import json
import sys

from examkit.run.worker import execute_one


def main() -> None:
    """Run the notebook the spec names and print what happened."""
    spec = json.loads(sys.argv[1])
    try:
        result = execute_one(
            spec["notebook"], spec["parameters"], spec["out_dir"], spec["kernel"], spec.get("pdf", False)
        )
    except Exception as exc:  # report, never a wall of traceback
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
