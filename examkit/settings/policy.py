"""``params/policy.yaml``: the labelled defaults the notice does not fix, read once and validated per setting.

One reader (``policy_settings``) parses the file once per change; each accessor validates the keys it
needs and names the file and the key in a catalogued message when one is missing or wrong. A partial
file (e.g. only ``double_marking``) is fine for the accessors whose keys have a labelled fallback.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from examkit.core.certificates import CertificateLayout, parse_layout
from examkit.core.double_marking import DEFAULT_FINAL_RULE, DEFAULT_TOLERANCE, FINAL_RULES, DoubleMarkingPolicy
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import LEVELS, Notice
from examkit.core.policy import DEFAULT_PARTIAL_CREDIT, MIN_N_RELIABILITY, PARTIAL_CREDIT_RULES, Policy
from examkit.settings.params import read_yaml
from examkit.settings.resources import settings_file

POLICY_FILE = "policy.yaml"
VALIDATION_FILE = "validation.yaml"
DEFAULT_AGES = (16, 70)  # examkit's fallback when validation.yaml gives no range (a labelled default)


@dataclass(frozen=True)
class PolicySettings:
    """The parsed ``policy.yaml`` and where it came from."""

    file: Path
    raw: dict

    def required(self, key: str) -> object:
        """The value of ``key``; ``ConfigError`` naming the file and the key when it is absent."""
        if key not in self.raw:
            raise ConfigError(t("config.missing_key", file=str(self.file), key=key))
        return self.raw[key]

    def number(self, key: str, *, minimum: float = 0.0, whole: bool = False) -> float:
        """A required number ≥ ``minimum`` (a whole one when ``whole``)."""
        value = self.required(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and value >= minimum and (not whole or float(value).is_integer())
        if not ok:
            accepted = f"{'整数 / whole number ' if whole else ''}>= {minimum:g}"
            raise ConfigError(t("config.bad_value", file=str(self.file), key=key, value=value, accepted=accepted))
        return float(value)


@lru_cache(maxsize=16)
def _parse(path: str, _mtime_ns: int, _size: int) -> dict:
    return read_yaml(path)


def policy_settings(params_dir: str | os.PathLike | None = None, name: str = POLICY_FILE) -> PolicySettings:
    """``policy.yaml`` (or ``name``) of ``params_dir``, else the shipped one, parsed once until the file changes."""
    path = settings_file(name, params_dir)
    try:
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = (0, 0)  # read_yaml names the file and why it cannot be read
    return PolicySettings(path, dict(_parse(str(path), *key)))


def load_policy(notice: Notice, params_dir: str | os.PathLike | None = None) -> Policy:
    """The analytics policy: marks from ``notice``, labelled defaults from ``policy.yaml``."""
    p = policy_settings(params_dir)
    min_n = p.number("reliability_min_n", minimum=2, whole=True) if "reliability_min_n" in p.raw else MIN_N_RELIABILITY
    return Policy(
        pass_mark=float(notice.pass_mark),
        full_mark=float(notice.full_mark),
        near_line_band=p.number("near_line_band"),
        small_group_min_sat=int(p.number("small_group_min_sat", minimum=1, whole=True)),
        reliability_min_n=int(min_n),
    )


def publicity_days(params_dir: str | os.PathLike | None = None) -> int:
    """``publicity_days`` (a labelled default), validated as a whole number of days ≥ 1."""
    p = policy_settings(params_dir)
    value = p.raw.get("publicity_days")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(t("publicity.bad_days", file=str(p.file), value=value))
    return value


def load_layout(
    params_dir: str | os.PathLike | None = None, levels: tuple[str, ...] | None = None
) -> CertificateLayout:
    """The certificate-number layout (``certificate_number``, a labelled example), validated."""
    p = policy_settings(params_dir)
    return parse_layout(p.raw.get("certificate_number"), levels or LEVELS, source=f"{p.file} → certificate_number")


def load_double_marking(params_dir: str | os.PathLike | None = None) -> DoubleMarkingPolicy:
    """The ``double_marking`` block (labelled fallbacks when absent)."""
    p = policy_settings(params_dir)
    file = str(p.file)
    block = p.raw.get("double_marking") or {}
    if not isinstance(block, dict):
        raise ConfigError(t("agreement.bad_policy", file=file, key="double_marking", value=block, accepted="{...}"))
    tol_raw = block.get("tolerance", DEFAULT_TOLERANCE)
    try:
        tolerance = float(tol_raw)
    except (TypeError, ValueError):
        tolerance = -1.0
    if not math.isfinite(tolerance) or tolerance < 0:
        raise ConfigError(
            t("agreement.bad_policy", file=file, key="double_marking.tolerance", value=tol_raw, accepted=">= 0")
        )
    rule = str(block.get("final_rule", DEFAULT_FINAL_RULE)).strip().lower()
    if rule not in FINAL_RULES:
        accepted = " | ".join(FINAL_RULES)
        raise ConfigError(
            t(
                "agreement.bad_policy",
                file=file,
                key="double_marking.final_rule",
                value=block.get("final_rule"),
                accepted=accepted,
            )
        )
    return DoubleMarkingPolicy(tolerance=tolerance, final_rule=rule, source=file)


def load_partial_credit(params_dir: str | os.PathLike | None = None) -> str:
    """``theory_partial_credit``: ``none`` or ``proportional`` (labelled fallback ``none``)."""
    p = policy_settings(params_dir)
    value = p.raw.get("theory_partial_credit", DEFAULT_PARTIAL_CREDIT)
    rule = str(value).strip().lower()
    if rule not in PARTIAL_CREDIT_RULES:
        raise ConfigError(
            t("theory.bad_policy", file=str(p.file), value=value, accepted=" | ".join(PARTIAL_CREDIT_RULES))
        )
    return rule


def load_bill_absent(params_dir: str | os.PathLike | None = None) -> bool:
    """``bill_absent`` (labelled fallback: true)."""
    value = policy_settings(params_dir).raw.get("bill_absent", True)
    if not isinstance(value, bool):
        raise ConfigError(t("fees.bad_policy", key="bill_absent", value=value, accepted="true | false"))
    return value


def age_range(params_dir: str | os.PathLike | None = None) -> tuple[int, int]:
    """``age_min`` and ``age_max`` of ``validation.yaml``: outside them a registration gets a warning."""
    p = policy_settings(params_dir, VALIDATION_FILE)
    low = p.number("age_min", whole=True) if "age_min" in p.raw else DEFAULT_AGES[0]
    high = p.number("age_max", minimum=low, whole=True) if "age_max" in p.raw else DEFAULT_AGES[1]
    return int(low), int(high)
