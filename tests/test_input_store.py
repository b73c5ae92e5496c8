"""The input store: each input read and checked once, kept as Parquet keyed by content and settings.

What is kept must equal what checking the file gives (frames, findings, excluded rows); a changed file
or setting re-checks that file alone; a broken or half-written entry is rebuilt, never trusted; two
processes filling one entry are both right.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from examkit.core.i18n import set_lang
from examkit.intake.registrations import load_registrations_dir
from examkit.intake.schools import load_schools
from examkit.store.inputs import InputStore

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "fixture"


@pytest.fixture
def folder(demo_project, tmp_path) -> Path:
    """Three batch files of the demo year (with its planted mistakes) in a folder of their own."""
    regs = tmp_path / "registrations"
    regs.mkdir()
    for batch in ("2023-01", "2023-02", "2023-03"):  # xlsx, csv, xlsx
        (source,) = (demo_project.data / "registrations").glob(f"{batch}.*")
        shutil.copy(source, regs)
    shutil.copy(demo_project.data / "schools.xlsx", tmp_path / "schools.xlsx")
    return regs


def _load(folder: Path, store: InputStore):
    schools = store.schools(folder.parent / "schools.xlsx")
    return load_registrations_dir(folder, schools=schools, check=store.registrations_check())


def _same(a, b) -> None:
    assert_frame_equal(a.frame, b.frame)
    assert_frame_equal(a.excluded, b.excluded)
    assert a.findings == b.findings
    assert (a.rows, a.headers) == (b.rows, b.headers)


def test_kept_entries_equal_a_fresh_check(folder, tmp_path):
    plain = _load(folder, InputStore(None))
    assert plain.findings, "the demo files carry planted mistakes: findings must round-trip too"
    first = InputStore(tmp_path / "store")
    _same(_load(folder, first), plain)
    assert (first.stats.builds, first.stats.hits) == (4, 0)  # 3 registrations files + the schools list
    again = InputStore(tmp_path / "store")  # a new process sees the same folder
    _same(_load(folder, again), plain)
    assert (again.stats.builds, again.stats.hits) == (0, 4)
    assert_frame_equal(again.schools(folder.parent / "schools.xlsx"), load_schools(folder.parent / "schools.xlsx"))


def test_a_changed_file_is_checked_again_alone(folder, tmp_path):
    before = _load(folder, InputStore(tmp_path / "store"))
    csv = folder / "2023-02.csv"
    lines = csv.read_bytes().splitlines(keepends=True)
    csv.write_bytes(b"".join(lines[:-1]))  # the clerk deletes the last row
    store = InputStore(tmp_path / "store")
    got = _load(folder, store)
    assert (store.stats.builds, store.stats.hits) == (1, 3)
    _same(got, _load(folder, InputStore(None)))
    assert got.rows == before.rows - 1


def test_a_changed_setting_or_language_checks_again(folder, tmp_path):
    chinese = _load(folder, InputStore(tmp_path / "store"))
    set_lang("en")
    try:
        english = InputStore(tmp_path / "store")
        got = _load(folder, english)
        plain = _load(folder, InputStore(None))
    finally:
        set_lang("zh")
    assert english.stats.hits == 0, "findings are kept in the language they were written in"
    _same(got, plain)
    assert [f.message for f in got.findings] != [f.message for f in chinese.findings]
    params = tmp_path / "params"
    params.mkdir()
    shipped = (Path(__file__).resolve().parent.parent / "params" / "columns.yaml").read_text(encoding="utf-8")
    (params / "columns.yaml").write_text(shipped + "\n# a site's own copy\n", encoding="utf-8")
    changed = InputStore(tmp_path / "store", params)
    _load(folder, changed)
    assert changed.stats.hits == 0, "a settings file of the project changed: nothing kept may be reused"


def _entries(root: Path, kind: str) -> list[Path]:
    return sorted(p for p in (root / kind).glob("*/*") if p.is_dir())


@pytest.mark.parametrize("damage", ["truncate", "flip", "no_manifest", "bad_manifest"])
def test_a_damaged_entry_is_rebuilt_not_trusted(folder, tmp_path, damage):
    root = tmp_path / "store"
    plain = _load(folder, InputStore(None))
    _load(folder, InputStore(root))
    entry = _entries(root, "registrations")[0]
    part = max(entry.glob("*.parquet"), key=lambda p: p.stat().st_size)
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "flip":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    elif damage == "no_manifest":
        (entry / "manifest.json").unlink()
    else:
        (entry / "manifest.json").write_text("{", encoding="utf-8")
    store = InputStore(root)
    _same(_load(folder, store), plain)
    assert (store.stats.rebuilt, store.stats.builds, store.stats.hits) == (1, 1, 3)
    fixed = InputStore(root)
    _load(folder, fixed)
    assert fixed.stats.hits == 4


_FILL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from examkit.store import entries
    from examkit.intake.registrations import load_registrations_dir
    from examkit.store.inputs import InputStore

    folder, root, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if mode == "stall":  # stop for good after the first frame of an entry is written: the test kills us there
        real = entries._encode
        def stalling(value, where, name):
            out = real(value, where, name)
            if any(where.glob("*.parquet")):
                print("writing", flush=True)
                time.sleep(600)
            return out
        entries._encode = stalling
    store = InputStore(root)
    load_registrations_dir(folder, check=store.registrations_check())
    print("done", store.stats.builds, store.stats.hits, flush=True)
    """
)


def _fill(folder: Path, root: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _FILL, str(folder), str(root), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_a_killed_writer_leaves_nothing_that_is_trusted(folder, tmp_path):
    root = tmp_path / "store"
    proc = _fill(folder, root, "stall")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
    proc.wait()
    assert _entries(root, "registrations") == [], "a half-written entry is never where readers look"
    assert any((root / ".tmp").iterdir()), "the killed writer's staging folder is left behind"
    store = InputStore(root)
    got = load_registrations_dir(folder, check=store.registrations_check())
    assert_frame_equal(got.frame, load_registrations_dir(folder).frame)
    assert store.stats.builds == 3
    for d in (root / ".tmp").iterdir():  # as if an hour had passed
        os.utime(d, (time.time() - 7200, time.time() - 7200))
    assert store.clean() >= 1 and not any((root / ".tmp").iterdir())


def test_two_processes_filling_one_entry_both_succeed(folder, tmp_path):
    root = tmp_path / "store"
    procs = [_fill(folder, root, "plain") for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert all(o.startswith("done") for o in outs), outs
    assert len(_entries(root, "registrations")) == 3  # one copy of each entry
    store = InputStore(root)
    got = load_registrations_dir(folder, check=store.registrations_check())
    assert store.stats.hits == 3
    assert_frame_equal(got.frame, load_registrations_dir(folder).frame)


def test_manifest_names_every_part_with_its_hash(folder, tmp_path):
    root = tmp_path / "store"
    _load(folder, InputStore(root))
    entry = _entries(root, "registrations")[0]
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["parts"]) == {p.name for p in entry.glob("*.parquet")}
    assert manifest["value"]["dataclass"] == "examkit.intake.registration_model:Registrations"


def test_without_a_root_nothing_is_written(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = InputStore(None)
    _load(folder, store)
    assert store.stats.builds == 0 and not (tmp_path / "store").exists()
    assert isinstance(store.schools(folder.parent / "schools.xlsx"), pl.DataFrame)


def test_a_large_file_is_hashed_once_unless_its_stat_changes_or_is_too_recent(tmp_path, monkeypatch):
    from examkit.store import entries

    data = tmp_path / "big.csv"
    data.write_bytes(b"a,b\n" * 1000)
    old = time.time() - 60
    os.utime(data, (old, old))
    hashed: list[Path] = []
    real = entries.file_digest
    monkeypatch.setattr(entries, "file_digest", lambda p: hashed.append(Path(p)) or real(p))
    root = tmp_path / "store"
    first = InputStore(root).digest(data)
    entries._DIGESTS.clear()  # as a new process
    assert InputStore(root).digest(data) == first
    assert hashed == [data], "the second process trusts the note: same size, mtime and inode"
    data.write_bytes(b"a,b\n" * 999 + b"x,y\n")  # same size, new content, mtime now
    entries._DIGESTS.clear()
    changed = InputStore(root).digest(data)
    assert changed != first and changed == real(data)
    entries._DIGESTS.clear()
    InputStore(root).digest(data)
    assert len(hashed) == 3, "a note taken within two seconds of the file's mtime is not trusted"


def test_a_score_sheet_is_kept_as_the_results_it_gives(demo_project, tmp_path):
    from examkit.intake.registrations import load_registrations
    from examkit.session.year import results_for

    batch = "2023-03"
    (sheet,) = (demo_project.data / "scores").glob(f"{batch}.*")
    (reg,) = (demo_project.data / "registrations").glob(f"{batch}.*")
    registered = load_registrations(reg).frame.get_column("candidate_no")[:-5]  # five rows become strays
    plain = results_for(batch, registered, scores=sheet)
    assert plain.source == "scores" and len(plain.findings) == 5
    for expected_hits in (0, 1):
        store = InputStore(tmp_path / "store")
        kept = results_for(batch, registered, scores=sheet, store=store)
        assert store.stats.hits == expected_hits
        assert_frame_equal(kept.results, plain.results)
        assert_frame_equal(kept.item_marks, plain.item_marks)
        assert kept.findings == plain.findings
    fewer = InputStore(tmp_path / "store")
    results_for(batch, registered[:-1], scores=sheet, store=fewer)
    assert fewer.stats.hits == 0, "who is registered shapes the results: another list is another entry"
