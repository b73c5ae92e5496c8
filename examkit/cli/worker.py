"""The runner's worker process: ``python -m examkit.cli.worker SPEC_JSON`` or ``--serve KERNEL``.

One spec runs one notebook in a kernel of its own and prints one JSON line. ``--serve KERNEL`` keeps
a warm kernel (``examkit.run.worker.WarmKernel``): it prints ``{"ready": true}`` once the kernel is up,
then reads one JSON spec per line on stdin and prints one JSON result line each, until stdin ends.
"""

from __future__ import annotations

import json
import sys

from examkit.core.i18n import set_lang
from examkit.run.worker import WarmKernel, execute_one


def _answer(result: dict) -> None:
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _failure(exc: BaseException) -> dict:
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}  # reported, never a wall of traceback


def serve(kernel: str) -> None:
    """Run specs from stdin in one warm kernel until stdin ends."""
    warm = WarmKernel(kernel)
    warm.start()
    _answer({"ready": True})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            spec = json.loads(line)
            set_lang(spec.get("lang") or "zh")
            try:
                result = warm.execute(spec["notebook"], spec["parameters"], spec["out_dir"], spec.get("pdf", False))
            except Exception as exc:
                result = _failure(exc)
            _answer({**result, "kernels": warm.started})
    finally:
        warm.stop()


def main() -> None:
    """One spec (the ``--fresh-kernels`` way), or ``--serve KERNEL``."""
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
        return
    spec = json.loads(sys.argv[1])
    try:
        result = execute_one(
            spec["notebook"], spec["parameters"], spec["out_dir"], spec["kernel"], spec.get("pdf", False)
        )
    except Exception as exc:
        result = _failure(exc)
    _answer(result)


if __name__ == "__main__":
    main()
