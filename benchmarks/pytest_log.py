"""The ``make test`` figure from a saved log: pytest's final line (``N passed, M skipped … in 123.45s (0:02:03)``).

The suite takes minutes, so the benchmark does not run it; run ``make test 2>&1 | tee FILE`` on the same
machine (not while the benchmark runs) and pass ``--pytest-log FILE``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
FINAL = re.compile(r"^=*\s*(?P<body>.*?)\s+in\s+(?P<seconds>\d+(?:\.\d+)?)s(?:\s+\(\d+:\d\d:\d\d\))?\s*=*$")
COUNT = re.compile(r"(\d+)\s+(passed|failed|skipped|deselected|xfailed|xpassed|warnings?|errors?|rerun)\b")
NORMAL = {"warning": "warnings", "error": "errors"}


def parse_text(text: str) -> dict | None:
    """The last summary line of a pytest log: its seconds and counts (None when there is none)."""
    for raw in reversed(text.splitlines()):
        line = ANSI.sub("", raw).strip()
        m = FINAL.match(line)
        if not m:
            continue
        body = m.group("body")
        counts: dict[str, int] = {}
        for n, word in COUNT.findall(body):
            counts[NORMAL.get(word, word)] = counts.get(NORMAL.get(word, word), 0) + int(n)
        if not counts and "no tests ran" not in body:
            continue
        return {"seconds": float(m.group("seconds")), "counts": counts, "line": line}
    return None


def parse(path: str | Path) -> dict:
    """``parse_text`` of the file, with where and when it was written; raises ValueError without a summary line."""
    p = Path(path)
    got = parse_text(p.read_text(encoding="utf-8", errors="replace"))
    if got is None:
        raise ValueError(f"{p}: no pytest summary line ('N passed … in Ns') found")
    mtime = datetime.fromtimestamp(p.stat().st_mtime, tz=timezone.utc).isoformat(timespec="minutes")
    return {**got, "file": str(p), "written": mtime}


def judge(log: dict, limit: float) -> tuple[bool, list[str]]:
    """Met when pytest took at most ``limit`` seconds with nothing skipped, failed or in error; and why not."""
    c = log["counts"]
    why = []
    if log["seconds"] > limit:
        why.append(f"{log['seconds'] / limit:.2f}× the {limit:g} s limit")
    for key in ("skipped", "failed", "errors"):
        if c.get(key):
            why.append(f"{c[key]} {key}" if key != "errors" else f"{c[key]} error(s)")
    if not c.get("passed"):
        why.append("nothing passed")
    return not why, why
