"""Write a parsed notice: ``params/notices/notice_YYYY.yaml`` and one ``params/YYYY-NN.yaml`` per batch.

Existing files are never overwritten (they are reported as kept), and every file is written
atomically: to a temporary file in the same folder, then moved into place. Everything is
rendered and checked before the first file is written.
"""

from __future__ import annotations

import os
import string
import uuid
from pathlib import Path

import yaml

from examkit.core.exceptions import ConfigError, NoticeError
from examkit.core.i18n import t
from examkit.core.notice import _parse
from examkit.core.yamltext import parse_yaml

THEORY_PREFIX = "#[theory] "  # template lines kept (without the prefix) only for levels with a theory paper
TEMPLATE_FIELDS = ("batch", "name_zh", "level", "year")

DEFAULT_PARAMS_TEMPLATE = """\
# Papermill parameters for ${name_zh} (${batch}, ${level}).
# Relative paths are relative to the project folder (the parent of params/).
# Written from the ${year} notice; point the paths at your own files.
batch: "${batch}"
lang: zh                                  # zh | en
registrations: data/${year}/registrations/${batch}.xlsx
registrations_dir: data/${year}/registrations   # every batch of the year (trends, retakes)
schools: data/${year}/schools.xlsx
payments: data/${year}/payments.csv
gradebook: data/${year}/gradebook.sqlite        # marks live here; re-running reports never clears it
scores: data/${year}/scores/${batch}.xlsx         # paper score sheet imported when the gradebook has no marks yet
#[theory] theory_key: data/${year}/theory/${batch}-key.xlsx             # senior theory answer key (question, answer, points)
#[theory] theory_responses: data/${year}/theory/${batch}-responses.csv  # theory paper export: 考生号 + one column per question
"""


def notice_yaml(notice_dict: dict) -> str:
    """The YAML text of ``notice_YYYY.yaml``: a comment header, then the data, one flow line per batch."""
    source = notice_dict.get("source") or {}
    header = t(
        "notice_import.notice_header",
        year=notice_dict["year"],
        file=source.get("file", "?"),
        sha256=source.get("sha256", "?"),
    )
    top = {k: v for k, v in notice_dict.items() if k not in ("batches", "source")}
    body = yaml.safe_dump(top, allow_unicode=True, sort_keys=False, default_flow_style=False)
    batches = "".join(
        "  - " + yaml.safe_dump(b, allow_unicode=True, sort_keys=False, default_flow_style=True, width=1 << 16)
        for b in notice_dict["batches"]
    )
    tail = yaml.safe_dump({"source": source}, allow_unicode=True, sort_keys=False) if "source" in notice_dict else ""
    text = f"{header}\n{body}batches:\n{batches}{tail}"
    if parse_yaml(text) != notice_dict:  # the flow layout must not change a value
        raise AssertionError("notice YAML does not round-trip")
    return text


def render_params(template_text: str, batch: dict, notice_dict: dict) -> str:
    """One batch's params file from ``template_text`` (``string.Template``: ``${batch}``, ``${name_zh}``, ``${level}``, ``${year}``).

    Lines starting with ``#[theory] `` are kept, without that prefix, only when the batch's level
    has a theory paper; otherwise they are dropped.
    """
    level = notice_dict["levels"][batch["level"]]
    theory = "theory" in str(level["form"]).split("+")
    lines = []
    for line in template_text.splitlines(keepends=True):
        if not line.startswith(THEORY_PREFIX):
            lines.append(line)
        elif theory:
            lines.append(line[len(THEORY_PREFIX) :])
    fields = {
        "batch": batch["batch"],
        "name_zh": batch["name_zh"],
        "level": batch["level"],
        "year": notice_dict["year"],
    }
    try:
        text = string.Template("".join(lines)).substitute(fields)
    except (KeyError, ValueError) as exc:
        raise ConfigError(t("notice_import.bad_template", error=repr(exc), fields=", ".join(TEMPLATE_FIELDS))) from None
    try:
        loaded = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            t("notice_import.bad_template", error=str(exc).splitlines()[0], fields=", ".join(TEMPLATE_FIELDS))
        ) from None
    if not isinstance(loaded, dict) or str(loaded.get("batch")) != batch["batch"]:
        raise ConfigError(t("notice_import.template_wrong_batch", batch=batch["batch"]))
    return text


def _check_loadable(notice_dict: dict, text: str) -> None:
    """Refuse a notice the kit could not load (``examkit.notice._parse``)."""

    for key in ("issuer", "issued_on"):
        if key not in notice_dict:
            raise NoticeError(t("notice_import.notice_incomplete", year=notice_dict.get("year", "?"), key=key))
    _parse(parse_yaml(text))


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless ``path`` exists; True when written."""
    if path.exists():
        return False
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic and never replaces a file that appeared meanwhile
        except FileExistsError:
            return False
        except OSError:  # no hard links on this file system
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    except OSError as exc:
        raise NoticeError(t("notice_import.cannot_write", file=str(path), error=exc.strerror or str(exc))) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_notice(
    notice_dict: dict, params_dir: str | os.PathLike, *, template_text: str
) -> tuple[list[Path], list[Path]]:
    """Write ``params_dir/notices/notice_YYYY.yaml`` and ``params_dir/YYYY-NN.yaml`` per batch.

    Returns ``(written, kept)``: files created, and files that already existed and were left as
    they are. Nothing is written when the notice or the template cannot be rendered.
    """
    params = Path(params_dir)
    notice_text = notice_yaml(notice_dict)
    _check_loadable(notice_dict, notice_text)
    files = [(params / "notices" / f"notice_{notice_dict['year']}.yaml", notice_text)]
    files += [
        (params / f"{b['batch']}.yaml", render_params(template_text, b, notice_dict)) for b in notice_dict["batches"]
    ]
    written: list[Path] = []
    kept: list[Path] = []
    for path, text in files:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NoticeError(t("notice_import.cannot_write", file=str(path), error=exc.strerror or str(exc))) from None
        (written if _write_new(path, text) else kept).append(path)
    return written, kept
