"""Rubrics per level (``params/rubrics/<level>.yaml``), read and checked to add up to the notice's full mark."""

from __future__ import annotations

import os
from pathlib import Path

from examkit.core.exceptions import RubricError
from examkit.core.i18n import t
from examkit.core.notice import load_notice
from examkit.core.rubric import EPS, Item, Rubric, Section, header_key, rubric_hash
from examkit.settings.params import read_yaml
from examkit.settings.resources import settings_file


def rubric_path(level: str, params_dir: str | os.PathLike | None = None) -> Path:
    return settings_file(f"rubrics/{level}.yaml", params_dir)


def load_rubric(level: str, params_dir: str | os.PathLike | None = None, year: int = 2023) -> Rubric:
    """The rubric for ``level``; raises ``RubricError`` unless it is well formed and adds up to the full mark."""
    path = rubric_path(level, params_dir)
    raw = read_yaml(path)
    items: list[Item] = []
    sections: list[Section] = []
    try:
        for sec in raw["sections"]:
            section = Section(
                id=str(sec["id"]),
                name_zh=str(sec.get("name_zh", sec["id"])),
                name_en=str(sec.get("name_en", sec.get("name_zh", sec["id"]))),
                auto_scored=bool(sec.get("auto_scored", False)),
            )
            sections.append(section)
            for it in sec["items"]:
                items.append(
                    Item(
                        id=str(it["id"]),
                        name_zh=str(it["name_zh"]),
                        name_en=str(it.get("name_en", it["name_zh"])),
                        max=float(it["max"]),
                        step=float(it.get("step", 1)),
                        section=section.id,
                        auto_scored=section.auto_scored,
                    )
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise RubricError(t("rubric.malformed", file=str(path), error=str(exc))) from None
    if not items:
        raise RubricError(t("rubric.malformed", file=str(path), error="no items"))
    file_level = str(raw.get("level", level))
    if file_level != level:
        raise RubricError(t("rubric.wrong_level", file=str(path), found=file_level, expected=level))
    _check(items, path, load_notice(year).full_mark)
    return Rubric(
        level=file_level,
        status=str(raw.get("status", "example")),
        items=tuple(items),
        sha256=rubric_hash(items),
        file=path,
        sections=tuple(sections),
    )


def _check(items: list[Item], path: Path, full: int) -> None:
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise RubricError(t("rubric.duplicate_item", file=str(path)))
    names = [k for i in items for k in {header_key(n) for n in (i.name_zh, i.name_en, i.id)}]
    if len(set(names)) != len(names):
        # score sheets name their columns by item name: two items may not share one
        raise RubricError(t("rubric.duplicate_name", file=str(path)))
    for i in items:
        if i.max <= 0 or i.step <= 0 or abs(round(i.max / i.step) * i.step - i.max) > EPS:
            raise RubricError(t("rubric.bad_item", file=str(path), item=i.id, max=f"{i.max:g}", step=f"{i.step:g}"))
    total = sum(i.max for i in items)
    if abs(total - full) > EPS:
        raise RubricError(t("rubric.bad_total", file=str(path), total=f"{total:g}", full=full))
