"""The batch runner: params resolution, one batch end to end, a broken batch failing alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from examkit.cli import main
from examkit.core.exceptions import ConfigError
from examkit.settings.params import load_batch_params


def test_params_paths_resolve_against_the_project_folder(tmp_path):
    (tmp_path / "params").mkdir()
    f = tmp_path / "params" / "2023-01.yaml"
    f.write_text(
        'batch: "2023-01"\nregistrations: data/r.xlsx\ngradebook: /abs/gb.sqlite\nlang: en\n', encoding="utf-8"
    )
    p = load_batch_params(f)
    assert p.batch == "2023-01"
    assert Path(p.values["registrations"]) == (tmp_path / "data" / "r.xlsx").resolve()
    assert Path(p.values["gradebook"]) == Path("/abs/gb.sqlite").resolve()
    assert p.values["lang"] == "en"
    assert Path(p.values["settings_dir"]) == (tmp_path / "params").resolve()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("registrations: x.csv\n", "batch"), ("batch: [1, 2\n", "YAML"), ("- a\n- b\n", "")],
)
def test_bad_params_file_is_a_clear_error(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_batch_params(f)
    assert str(f) in str(exc.value)
    assert needle in str(exc.value)


def test_missing_params_file_names_it(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml"), "--quiet"]) == 2
    assert "nope.yaml" in capsys.readouterr().err


@pytest.mark.slow
def test_broken_batch_fails_alone_and_rerun_is_idempotent(demo_copy, capsys):
    params = demo_copy.params
    broken = demo_copy.data / "registrations" / "2023-02.csv"
    broken.write_bytes(b"\x00\x01\x02 this is not a table")
    out = demo_copy.root / "outputs"
    # the grading notebook alone (each notebook fails alike on the broken file; 4 runs instead of 12)
    args = ["run", str(params / "2023-01.yaml"), str(params / "2023-02.yaml"), "--out", str(out), "--quiet"]
    args += ["--notebooks", "grading"]

    assert main(args) == 1
    err = capsys.readouterr().err
    failures = [line for line in err.splitlines() if "2023-02" in line and "2023-01" not in line]
    assert failures, err
    assert "2023-02.csv" in err  # the message names the broken file
    assert "Traceback" not in err
    assert (out / "2023-01" / "grading.ipynb").stat().st_size > 0
    assert (out / "2023-01" / "grading.html").stat().st_size > 0
    assert not (out / "2023-02" / "grading.html").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2023-01/grading.html"' in index
    assert 'href="2023-02/grading.html"' not in index

    first = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert main(args) == 1
    second = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert first == second
    assert not [p for p in second if p.name.endswith(".part")]
