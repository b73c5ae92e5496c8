"""Certificate numbers (证书编号, R12) from a configurable layout, and province codes; a labelled example, not the national rule."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from examkit.core.exceptions import CertificateError, ConfigError
from examkit.core.i18n import t
from examkit.core.yamltext import parse_yaml

PARTS = ("year", "level_code", "province_code", "site_code", "serial")


SERIAL = "serial"


SCOPE_MARK = "#"  # the serial's place in a scope string


_SERIAL_SPEC = re.compile(r"^0([1-9][0-9]?)d$")  # zero-padded, fixed width


_CODE = re.compile(r"^[0-9A-Za-z]+$")


_FIXED = {"year": r"\d{4}", "province_code": r"\d{2}"}


@dataclass(frozen=True)
class Province:
    """A province-level division of GB/T 2260."""

    code: str
    name: str
    short: str
    en: str


@cache
def provinces() -> tuple[Province, ...]:
    """The GB/T 2260 province-level codes shipped in ``examkit/data/provinces.yaml``."""
    text = resources.files("examkit.data").joinpath("provinces.yaml").read_text(encoding="utf-8")
    return tuple(Province(**{k: str(v) for k, v in p.items()}) for p in parse_yaml(text))


@cache
def _province_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for p in provinces():
        for key in (p.code, p.name, p.short, p.en.casefold()):
            out[key] = p.code
    return out


def province_code(province: str) -> str:
    """The two-digit code of ``province`` (full name 广东省, short 广东, English name, or the code)."""
    key = "".join(str(province).split())
    code = _province_lookup().get(key) or _province_lookup().get(key.casefold())
    if code is None:
        raise CertificateError(t("certificates.unknown_province", value=province, accepted="广东省, 广东, 44 …"))
    return code


def province_code_expr(column: str = "province") -> pl.Expr:
    """``column`` (province names or codes) mapped to GB/T 2260 codes; null where unknown."""
    lookup = _province_lookup()
    key = pl.col(column).str.replace_all(r"\s", "")
    return key.replace_strict(lookup, default=None, return_dtype=pl.String).fill_null(
        key.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)
    )


@dataclass(frozen=True)
class CertificateLayout:
    """A validated certificate-number layout (a labelled example unless your organization sets one)."""

    template: str
    level_codes: Mapping[str, str]
    serial_width: int
    segments: tuple[tuple[str, str | None], ...]  # (literal text, part name or None)
    source: str = "policy.yaml"

    @property
    def max_serial(self) -> int:
        return 10**self.serial_width - 1

    # ----------------------------------------------------------------- scalar

    def format(self, *, year: int, level: str, province_code: str, site_code: str, serial: int) -> str:
        """The certificate number of these parts; raises ``CertificateError`` for a part that cannot fit."""
        parts = self._parts(year=year, level=level, province_code=province_code, site_code=site_code)
        if not 1 <= int(serial) <= self.max_serial:
            raise CertificateError(
                t("certificates.serial_overflow", serial=serial, width=self.serial_width, layout=self.template)
            )
        parts[SERIAL] = f"{int(serial):0{self.serial_width}d}"
        return "".join(lit + (parts[name] if name else "") for lit, name in self.segments)

    def scope(self, *, year: int, level: str, province_code: str, site_code: str) -> str:
        """The number with its serial left out: serials count up within one scope."""
        parts = self._parts(year=year, level=level, province_code=province_code, site_code=site_code)
        parts[SERIAL] = SCOPE_MARK * self.serial_width
        return "".join(lit + (parts[name] if name else "") for lit, name in self.segments)

    def parse(self, number: str) -> dict[str, object]:
        """The parts of ``number`` (``level`` decoded, ``serial`` an int); ``CertificateError`` if it does not fit."""
        m = self._regex().fullmatch(str(number).strip())
        if m is None:
            raise CertificateError(t("certificates.bad_number", value=number, layout=self.template))
        out: dict[str, object] = dict(m.groupdict())
        if "level_code" in out:
            out["level"] = {c: lv for lv, c in self.level_codes.items()}[str(out["level_code"])]
        out[SERIAL] = int(str(out[SERIAL]))
        if "year" in out:
            out["year"] = int(str(out["year"]))
        return out

    def _parts(self, *, year: int, level: str, province_code: str, site_code: str) -> dict[str, str]:
        if level not in self.level_codes:
            raise CertificateError(t("certificates.unknown_level", value=level, accepted=", ".join(self.level_codes)))
        site = str(site_code or "").strip()
        if "site_code" in self.part_names and not _CODE.fullmatch(site):
            raise CertificateError(t("certificates.bad_site_code", value=site_code))
        prov = str(province_code or "")
        if "province_code" in self.part_names and not re.fullmatch(_FIXED["province_code"], prov):
            raise CertificateError(t("certificates.unknown_province", value=province_code, accepted="11 … 82"))
        return {
            "year": f"{int(year):04d}",
            "level_code": self.level_codes[level],
            "province_code": prov,
            "site_code": site,
        }

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.segments if name)

    def _regex(self) -> re.Pattern[str]:
        pats = {
            **_FIXED,
            "level_code": "|".join(re.escape(c) for c in sorted(self.level_codes.values(), key=len, reverse=True)),
            "site_code": "[0-9A-Za-z]+",
            SERIAL: rf"\d{{{self.serial_width}}}",
        }
        return re.compile(
            "".join(re.escape(lit) + (f"(?P<{name}>{pats[name]})" if name else "") for lit, name in self.segments)
        )

    # ----------------------------------------------------------------- vectorised

    def number_expr(self, serial: str = SERIAL) -> pl.Expr:
        """Certificate numbers from columns ``year``, ``level_code``, ``province_code``, ``site_code`` and ``serial``."""
        return self._concat(pl.col(serial).cast(pl.String).str.zfill(self.serial_width))

    def scope_expr(self) -> pl.Expr:
        """Scopes (numbers with the serial masked) from the same columns as ``number_expr``."""
        return self._concat(pl.lit(SCOPE_MARK * self.serial_width))

    def _concat(self, serial_expr: pl.Expr) -> pl.Expr:
        pieces: list[pl.Expr] = []
        for lit, name in self.segments:
            if lit:
                pieces.append(pl.lit(lit))
            if name == SERIAL:
                pieces.append(serial_expr)
            elif name == "year":
                pieces.append(pl.col("year").cast(pl.String).str.zfill(4))
            elif name:
                pieces.append(pl.col(name).cast(pl.String))
        return pl.concat_str(pieces)


def parse_layout(spec: Mapping, levels: tuple[str, ...], source: str = "policy.yaml") -> CertificateLayout:
    """Validate a ``certificate_number`` settings block; ``ConfigError`` names what is wrong and what is accepted."""
    if not isinstance(spec, Mapping):
        raise ConfigError(t("certificates.layout_missing", file=source))
    template = spec.get("layout")
    if not isinstance(template, str) or not template.strip():
        raise ConfigError(t("certificates.layout_missing", file=source))

    def bad(reason: str) -> ConfigError:
        return ConfigError(t("certificates.bad_layout", file=source, value=template, reason=reason))

    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise bad(t("certificates.braces")) from None
    segments: list[tuple[str, str | None]] = []
    width = 0
    for lit, name, spec_text, conv in parsed:
        if name is None:
            segments.append((lit, None))
            continue
        if name not in PARTS:
            raise bad(t("certificates.unknown_part", part=name, accepted=", ".join(PARTS)))
        if name in (n for _, n in segments):
            raise bad(t("certificates.repeated_part", part=name))
        if conv:
            raise bad(t("certificates.no_spec", part=name, spec=f"!{conv}"))
        if name == SERIAL:
            m = _SERIAL_SPEC.fullmatch(spec_text or "")
            if m is None:
                raise bad(t("certificates.serial_spec", spec=spec_text or ""))
            width = int(m.group(1))
        elif spec_text:
            raise bad(t("certificates.no_spec", part=name, spec=spec_text))
        segments.append((lit, name))
    if not width:
        raise bad(t("certificates.no_serial"))
    codes = spec.get("level_codes")
    if not isinstance(codes, Mapping):
        raise ConfigError(t("certificates.bad_level_codes", file=source, value=codes, accepted=", ".join(levels)))
    codes = {str(k): str(v) for k, v in codes.items()}
    missing = [lv for lv in levels if not codes.get(lv)]
    unknown = [k for k in codes if k not in levels]
    bad_codes = [v for v in codes.values() if not _CODE.fullmatch(v)]
    if missing or unknown or bad_codes or len(set(codes.values())) != len(codes):
        raise ConfigError(t("certificates.bad_level_codes", file=source, value=codes, accepted=", ".join(levels)))
    _check_unambiguous(segments, codes, bad)
    return CertificateLayout(template, codes, width, tuple(segments), source)


def _check_unambiguous(segments: list[tuple[str, str | None]], codes: dict[str, str], bad) -> None:
    """Refuse two variable-width parts side by side with no text between them (numbers could not be read back)."""
    variable = {"site_code"} | ({"level_code"} if len({len(c) for c in codes.values()}) > 1 else set())
    prev: str | None = None
    for lit, name in segments:
        if lit:
            prev = None
        if name in variable and prev in variable:
            raise bad(t("certificates.ambiguous", first=prev, second=name))
        if name:
            prev = name


@dataclass(frozen=True)
class IssueResult:
    """What one certificate run did: certificates newly issued, passers already holding the level, and earlier ones."""

    batch: str
    issued: pl.DataFrame  # register rows issued by this run
    held: pl.DataFrame  # passers who hold this level from an earlier batch (no new certificate)
    already: int  # certificates of this batch issued by earlier runs
