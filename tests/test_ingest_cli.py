"""``examkit ingest``: the demo year's inputs checked once into ``store/``; a killed ingest costs nothing but time.

The proof that a store is right is that the commands give the same answers with it as without it
(``EXAMKIT_STORE=off``): the fee statement and the pass rates, after a clean fill, after a fill killed
in the middle of writing an entry, and after an entry was damaged on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from examkit.cli.main import main

pytestmark = pytest.mark.slow

_SUMMARY = re.compile(r"(\d+) entries reused, (\d+) read and checked, (\d+) damaged entries rebuilt")


def _empty_store(project) -> None:
    """Start from no store: the shared demo year's copy carries the entries earlier tests made."""
    shutil.rmtree(project.root / "store", ignore_errors=True)


def _ingest(capsys, project) -> tuple[int, int, int]:
    rc = main(["ingest", "--quiet", "--lang", "en", "--params-dir", str(project.params)])
    out = capsys.readouterr().out
    assert rc == 0, out
    m = _SUMMARY.search(out)
    assert m, out
    assert str(project.root / "store") in out
    return int(m[1]), int(m[2]), int(m[3])


def _answers(capsys, monkeypatch, project, store: bool) -> tuple[str, str]:
    """The year's fee statement and pass rates per batch (csv), with or without the store."""
    monkeypatch.setenv("EXAMKIT_STORE", str(project.root / "store") if store else "off")
    data = project.data
    common = ["--params-dir", str(project.params), "--format", "csv"]
    regs = ["--registrations", str(data / "registrations"), "--schools", str(data / "schools.xlsx")]
    assert main(["fees", *regs, "--payments", str(data / "payments.csv"), *common]) in (0, 1)
    fees = capsys.readouterr().out
    main(["passrates", *regs, "--gradebook", str(data / "gradebook.sqlite"), "--by", "batch", *common])
    rates = capsys.readouterr().out
    assert fees.count("\n") > 10 and rates.count("\n") > 10
    return fees, rates


def test_ingest_fills_once_and_the_answers_do_not_change(demo_copy, capsys, monkeypatch):
    monkeypatch.delenv("EXAMKIT_STORE", raising=False)
    _empty_store(demo_copy)
    hits, builds, rebuilt = _ingest(capsys, demo_copy)
    assert builds >= 14 and rebuilt == 0  # 13 registrations files and the schools list at least
    hits, again, rebuilt = _ingest(capsys, demo_copy)
    assert (again, rebuilt) == (0, 0) and hits >= builds, "an unchanged year validates nothing"
    assert _answers(capsys, monkeypatch, demo_copy, store=True) == _answers(capsys, monkeypatch, demo_copy, store=False)


_KILLED = textwrap.dedent(
    """
    import sys, time
    import examkit.store.entries as entries
    from examkit.cli.main import main

    real = entries._encode
    count = {"n": 0}
    def stalling(value, where, name):
        out = real(value, where, name)
        if any(where.glob("*.parquet")) and name == "v":  # an entry's frames are on disk, its manifest is not
            count["n"] += 1
            if count["n"] == 3:
                print("writing", flush=True)
                time.sleep(600)
        return out
    entries._encode = stalling
    sys.exit(main(["ingest", "--quiet", "--params-dir", sys.argv[1]]))
    """
)


def test_a_killed_ingest_is_rebuilt_and_the_answers_are_right(demo_copy, capsys, monkeypatch):
    monkeypatch.delenv("EXAMKIT_STORE", raising=False)
    _empty_store(demo_copy)
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(demo_copy.params)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=demo_copy.root,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    staged = list((demo_copy.root / "store" / ".tmp").iterdir())
    assert staged, "the kill came while an entry was being written"
    _hits, builds, rebuilt = _ingest(capsys, demo_copy)
    assert builds >= 12 and rebuilt == 0, "the entries the killed run had not finished are built now"
    # damage a finished entry as a crash of the disk would: it is found out and rebuilt
    entry = next((demo_copy.root / "store" / "registrations").glob("*/*"))
    part = max(entry.glob("*.parquet"), key=lambda p: p.stat().st_size)
    part.write_bytes(part.read_bytes()[:100])
    assert _ingest(capsys, demo_copy)[1:] == (1, 1)
    assert _answers(capsys, monkeypatch, demo_copy, store=True) == _answers(capsys, monkeypatch, demo_copy, store=False)
