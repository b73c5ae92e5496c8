"""Rubrics per level (``params/rubrics/<level>.yaml``), validated to add up to the notice's full mark."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from examkit.config import read_yaml
from examkit.exceptions import RubricError
from examkit.i18n import get_lang, t
from examkit.notice import load_notice
from examkit.resources import settings_file


@dataclass(frozen=True)
class Item:
    id: str
    name_zh: str
    name_en: str
    max: float
    step: float
    section: str
    auto_scored: bool = False

    def name(self, lang: str | None = None) -> str:
        return self.name_en if (lang or get_lang()) == "en" else self.name_zh


@dataclass(frozen=True)
class Rubric:
    level: str
    status: str
    items: tuple[Item, ...]
    sha256: str
    file: Path

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise RubricError(t("rubric.unknown_item", value=item_id, accepted=", ".join(i.id for i in self.items)))

    @property
    def full_mark(self) -> float:
        return sum(i.max for i in self.items)


def rubric_path(level: str, params_dir: str | os.PathLike | None = None) -> Path:
    return settings_file(f"rubrics/{level}.yaml", params_dir)


def load_rubric(level: str, params_dir: str | os.PathLike | None = None, year: int = 2023) -> Rubric:
    """The rubric for ``level``; raises ``RubricError`` unless its items add up to the full mark."""
    path = rubric_path(level, params_dir)
    raw = read_yaml(path)
    items = []
    try:
        for sec in raw["sections"]:
            for it in sec["items"]:
                items.append(
                    Item(
                        id=str(it["id"]),
                        name_zh=str(it["name_zh"]),
                        name_en=str(it.get("name_en", it["name_zh"])),
                        max=float(it["max"]),
                        step=float(it.get("step", 1)),
                        section=str(sec["id"]),
                        auto_scored=bool(sec.get("auto_scored", False)),
                    )
                )
    except (KeyError, TypeError, ValueError) as exc:
        raise RubricError(t("rubric.malformed", file=str(path), error=str(exc))) from None
    full = load_notice(year).full_mark
    total = sum(i.max for i in items)
    if abs(total - full) > 1e-9:
        raise RubricError(t("rubric.bad_total", file=str(path), total=f"{total:g}", full=full))
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise RubricError(t("rubric.duplicate_item", file=str(path)))
    for i in items:
        if i.max <= 0 or i.step <= 0 or abs(round(i.max / i.step) * i.step - i.max) > 1e-9:
            raise RubricError(t("rubric.bad_item", file=str(path), item=i.id, max=f"{i.max:g}", step=f"{i.step:g}"))
    canonical = json.dumps([i.__dict__ for i in items], sort_keys=True, ensure_ascii=False)
    return Rubric(
        level=str(raw.get("level", level)),
        status=str(raw.get("status", "example")),
        items=tuple(items),
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        file=path,
    )
