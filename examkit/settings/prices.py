"""``params/prices.yaml``: provincial prices per person-time (override the notice's fee), read into integer fen."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.money import yuan_to_fen
from examkit.core.notice import LEVELS
from examkit.settings.params import read_yaml
from examkit.settings.resources import settings_file


@dataclass(frozen=True)
class Prices:
    """Provincial prices per person-time in fen (province → level → fen), with the file's own label."""

    fen: dict[str, dict[str, int]] = field(default_factory=dict)
    status: str = "official"  # example | official
    source: str = ""
    file: str = ""

    @property
    def is_example(self) -> bool:
        return self.status != "official"


def load_prices(path: str | os.PathLike | None = None, params_dir: str | os.PathLike | None = None) -> Prices:
    """Read ``prices.yaml`` (yuan per person-time) into fen; ``ConfigError`` naming the file and entry."""
    p = Path(path) if path else settings_file("prices.yaml", params_dir)
    raw = read_yaml(p)
    status = str(raw.get("status") or "example")
    if status not in ("example", "official"):
        raise ConfigError(t("fees.bad_prices", file=str(p), key="status", value=status, accepted="example | official"))
    table = raw.get("prices") or {}
    if not isinstance(table, dict):
        raise ConfigError(
            t("fees.bad_prices", file=str(p), key="prices", value=table, accepted="province: {level: 元}")
        )
    fen: dict[str, dict[str, int]] = {}
    for province, levels in table.items():
        if not isinstance(levels, dict):
            raise ConfigError(t("fees.bad_prices", file=str(p), key=province, value=levels, accepted="{junior: 元, …}"))
        for level, yuan in levels.items():
            if level not in LEVELS:
                raise ConfigError(
                    t("fees.bad_prices", file=str(p), key=f"{province}.{level}", value=level, accepted="|".join(LEVELS))
                )
            try:
                amount = yuan_to_fen(yuan)
            except ValueError:
                amount = -1
            if amount <= 0:
                raise ConfigError(
                    t("fees.bad_prices", file=str(p), key=f"{province}.{level}", value=yuan, accepted="> 0 元")
                )
            fen.setdefault(str(province), {})[str(level)] = amount
    return Prices(fen=fen, status=status, source=str(raw.get("source") or ""), file=str(p))
