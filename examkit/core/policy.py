"""What the labelled defaults of ``params/policy.yaml`` decide, as types: the analytics policy and its fallbacks.

The notice fixes the pass mark and the full mark; everything else here is examkit's default,
never an official rule. ``examkit.settings.policy`` reads and validates the file into these types.
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIDENCE = 0.95
# Rule of thumb (examkit's default, not a standard): reliability coefficients from fewer
# candidates than this are shown with a warning; fewer than 2 give no coefficient at all.
MIN_N_RELIABILITY = 30
PARTIAL_CREDIT_RULES = ("none", "proportional")
DEFAULT_PARTIAL_CREDIT = "none"  # examkit's fallback, a labelled default (policy.yaml)


@dataclass(frozen=True)
class Policy:
    """The numbers analytics needs: the notice's marks and the labelled defaults of policy.yaml."""

    pass_mark: float
    full_mark: float
    near_line_band: float
    small_group_min_sat: int
    confidence: float = CONFIDENCE
    reliability_min_n: int = MIN_N_RELIABILITY
