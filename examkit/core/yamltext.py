"""Parsing YAML text: the one loader every settings, notice and message file goes through (libyaml's when present)."""

from __future__ import annotations

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is ~10× faster; same safe subset
YAMLError = yaml.YAMLError


def parse_yaml(text: str) -> object:
    """The data of a YAML document (safe types only)."""
    return yaml.load(text, Loader=LOADER)
