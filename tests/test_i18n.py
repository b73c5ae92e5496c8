"""The message catalog: complete in both languages, and every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from examkit.core.i18n import LANGS, catalog, label, set_lang, t

PKG = Path(__file__).resolve().parent.parent / "examkit"


def test_every_message_has_every_language_with_the_same_fields():
    fmt = string.Formatter()
    problems = []
    for key, texts in catalog().items():
        if set(texts) != set(LANGS):
            problems.append(f"{key}: languages {sorted(texts)}")
            continue
        fields = [{f for _, f, _, _ in fmt.parse(texts[lang]) if f} for lang in LANGS]
        if fields[0] != fields[1]:
            problems.append(f"{key}: fields differ {fields}")
    assert problems == []


def test_every_literal_key_used_in_code_exists():
    used = set()
    for p in PKG.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""", p.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalog())
    assert missing == []


def test_language_switch():
    try:
        set_lang("en")
        assert t("labels.junior") == "Junior"
        assert label("senior") == "Senior"
        set_lang("zh")
        assert t("labels.junior") == "初级"
        assert t("notice.unknown_batch", "en", value="x", accepted="y").startswith("Batch")
        assert label("not-a-code") == "not-a-code"
    finally:
        set_lang("zh")
    with pytest.raises(ValueError):
        set_lang("fr")
