"""Rubrics per level (``params/rubrics/<level>.yaml``), validated to add up to the notice's full mark.

A rubric has sections (practical; senior also theory) of items, each with Chinese and English
names, a maximum and a step. The rubrics shipped in ``params/`` are LABELLED EXAMPLES: the notice
publishes neither the practical rubric nor the senior theory/practical split.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from examkit.config import read_yaml
from examkit.exceptions import RubricError
from examkit.i18n import get_lang, t
from examkit.notice import load_notice
from examkit.resources import settings_file

EPS = 1e-9


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
class Section:
    id: str
    name_zh: str
    name_en: str
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
    sections: tuple[Section, ...] = ()

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise RubricError(t("rubric.unknown_item", value=item_id, accepted=", ".join(i.id for i in self.items)))

    def item_for_header(self, header: str) -> Item | None:
        """The item a score-sheet header names (Chinese name, English name or id; spaces and case ignored)."""
        key = header_key(header)
        for i in self.items:
            if key in (header_key(i.name_zh), header_key(i.name_en), header_key(i.id)):
                return i
        return None

    @property
    def full_mark(self) -> float:
        return sum(i.max for i in self.items)

    @property
    def is_example(self) -> bool:
        """True unless the file says ``status: official`` (the shipped rubrics are examples)."""
        return self.status != "official"


def header_key(text: str) -> str:
    """A header as compared: NFKC (full-width → ASCII), no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def rubric_path(level: str, params_dir: str | os.PathLike | None = None) -> Path:
    return settings_file(f"rubrics/{level}.yaml", params_dir)


def rubric_hash(items: tuple[Item, ...] | list[Item]) -> str:
    """SHA-256 of the items as data (ids, names, maxima, steps, sections): what a batch records."""
    canonical = json.dumps([asdict(i) for i in items], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
