"""Rubrics per level (``params/rubrics/<level>.yaml``), validated to add up to the notice's full mark.

A rubric has sections (practical; senior also theory) of items, each with Chinese and English
names, a maximum and a step. The rubrics shipped in ``params/`` are LABELLED EXAMPLES: the notice
publishes neither the practical rubric nor the senior theory/practical split.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from examkit.core.exceptions import RubricError
from examkit.core.i18n import get_lang, t
from examkit.core.text import header_key

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


def rubric_hash(items: tuple[Item, ...] | list[Item]) -> str:
    """SHA-256 of the items as data (ids, names, maxima, steps, sections): what a batch records."""
    canonical = json.dumps([asdict(i) for i in items], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
