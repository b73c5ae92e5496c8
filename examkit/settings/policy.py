"""examkit.settings.policy"""

from __future__ import annotations

import math
import os

from examkit.core.certificates import CertificateLayout, parse_layout
from examkit.core.double_marking import DEFAULT_FINAL_RULE, DEFAULT_TOLERANCE, FINAL_RULES, DoubleMarkingPolicy
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import Notice
from examkit.core.policy import DEFAULT_PARTIAL_CREDIT, MIN_N_RELIABILITY, PARTIAL_CREDIT_RULES, Policy


def load_policy(notice: Notice, params_dir: str | os.PathLike | None = None) -> Policy:
    """The analytics policy: marks from ``notice``, defaults from ``policy.yaml`` in ``params_dir``."""
    from examkit.settings.params import load_settings

    raw = load_settings("policy.yaml", params_dir)
    return Policy(
        pass_mark=float(notice.pass_mark),
        full_mark=float(notice.full_mark),
        near_line_band=float(raw["near_line_band"]),
        small_group_min_sat=int(raw["small_group_min_sat"]),
        reliability_min_n=int(raw.get("reliability_min_n", MIN_N_RELIABILITY)),
    )


def publicity_days(params_dir: str | os.PathLike | None = None) -> int:
    """``publicity_days`` from ``policy.yaml`` (a labelled default), validated as a whole number of days ≥ 1."""
    from examkit.settings.params import read_yaml
    from examkit.settings.resources import settings_file

    path = settings_file("policy.yaml", params_dir)
    value = read_yaml(path).get("publicity_days")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(t("publicity.bad_days", file=str(path), value=value))
    return value


def load_layout(
    params_dir: str | os.PathLike | None = None, levels: tuple[str, ...] | None = None
) -> CertificateLayout:
    """The layout from ``policy.yaml`` (in ``params_dir`` or the shipped defaults), validated."""
    from examkit.core.notice import LEVELS
    from examkit.settings.params import read_yaml
    from examkit.settings.resources import settings_file

    path = settings_file("policy.yaml", params_dir)
    spec = read_yaml(path).get("certificate_number")
    return parse_layout(spec, levels or LEVELS, source=f"{path} → certificate_number")


def load_double_marking(params_dir: str | os.PathLike | None = None) -> DoubleMarkingPolicy:
    """The ``double_marking`` settings of ``policy.yaml`` (shipped defaults when absent)."""
    from examkit.settings.params import load_settings
    from examkit.settings.resources import settings_file

    file = str(settings_file("policy.yaml", params_dir))
    block = load_settings("policy.yaml", params_dir).get("double_marking") or {}
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
        raise ConfigError(
            t(
                "agreement.bad_policy",
                file=file,
                key="double_marking.final_rule",
                value=block.get("final_rule"),
                accepted=" | ".join(FINAL_RULES),
            )
        )
    return DoubleMarkingPolicy(tolerance=tolerance, final_rule=rule, source=file)


def load_partial_credit(params_dir: str | os.PathLike | None = None) -> str:
    """``theory_partial_credit`` from ``policy.yaml``: ``none`` or ``proportional``."""
    from examkit.settings.params import load_settings
    from examkit.settings.resources import settings_file

    value = load_settings("policy.yaml", params_dir).get("theory_partial_credit", DEFAULT_PARTIAL_CREDIT)
    rule = str(value).strip().lower()
    if rule not in PARTIAL_CREDIT_RULES:
        raise ConfigError(
            t(
                "theory.bad_policy",
                file=str(settings_file("policy.yaml", params_dir)),
                value=value,
                accepted=" | ".join(PARTIAL_CREDIT_RULES),
            )
        )
    return rule


def load_bill_absent(params_dir: str | os.PathLike | None = None) -> bool:
    """``bill_absent`` from ``policy.yaml`` (labelled default: true)."""
    from examkit.settings.params import load_settings

    value = load_settings("policy.yaml", params_dir).get("bill_absent", True)
    if not isinstance(value, bool):
        raise ConfigError(t("fees.bad_policy", key="bill_absent", value=value, accepted="true | false"))
    return value
