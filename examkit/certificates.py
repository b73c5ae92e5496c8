"""Certificate numbers (证书编号) from a configurable layout, province codes, and the issue list.

The notice says certificates carry a unique national number (R12) but not how it is built.
The layout lives in ``params/policy.yaml`` → ``certificate_number`` and the shipped one is a
LABELLED EXAMPLE, not the national coding rule. A layout is a ``str.format`` template over
these parts:

- ``{year}``: the exam year of the batch (four digits);
- ``{level_code}``: the level's code from ``level_codes``;
- ``{province_code}``: the GB/T 2260 two-digit code of the site's province;
- ``{site_code}``: the exam site code (letters and digits);
- ``{serial:0Nd}``: a serial of exactly N digits, counted within the other parts (its *scope*).

Numbers are allocated and kept unique by the gradebook's certificate register.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import yaml

from examkit.exceptions import CertificateError, ConfigError
from examkit.i18n import t

if TYPE_CHECKING:
    from examkit.gradebook import Gradebook

PARTS = ("year", "level_code", "province_code", "site_code", "serial")
SERIAL = "serial"
SCOPE_MARK = "#"  # the serial's place in a scope string
_SERIAL_SPEC = re.compile(r"^0([1-9][0-9]?)d$")  # zero-padded, fixed width
_CODE = re.compile(r"^[0-9A-Za-z]+$")
_FIXED = {"year": r"\d{4}", "province_code": r"\d{2}"}


# --------------------------------------------------------------------------- provinces


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
    return tuple(Province(**{k: str(v) for k, v in p.items()}) for p in yaml.safe_load(text))


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


# --------------------------------------------------------------------------- layout


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


def load_layout(
    params_dir: str | os.PathLike | None = None, levels: tuple[str, ...] | None = None
) -> CertificateLayout:
    """The layout from ``policy.yaml`` (in ``params_dir`` or the shipped defaults), validated."""
    from examkit.config import read_yaml
    from examkit.notice import LEVELS
    from examkit.resources import settings_file

    path = settings_file("policy.yaml", params_dir)
    spec = read_yaml(path).get("certificate_number")
    return parse_layout(spec, levels or LEVELS, source=f"{path} → certificate_number")


# --------------------------------------------------------------------------- issue list


ISSUE_COLUMNS = (
    "certificate_no",
    "candidate_no",
    "name",
    "id_number",
    "level",
    "batch",
    "province",
    "site_code",
    "total",
    "issued_on",
)


def issue_list(register: pl.DataFrame, *, masked: bool, lang: str | None = None) -> pl.DataFrame:
    """The issue list with catalogued headers; ``masked`` hides names and ID numbers (for leadership)."""
    return _shown(register, ISSUE_COLUMNS, "certificate_no", masked, lang)


def _shown(frame: pl.DataFrame, columns: tuple[str, ...], by: str, masked: bool, lang: str | None) -> pl.DataFrame:
    """``columns`` of ``frame`` sorted by ``by``, masked if asked, levels labelled, headers from the catalog."""
    from examkit.i18n import label

    out = frame.select([c for c in columns if c in frame.columns]).sort(by)
    if masked:
        out = _mask(out)
    if "level" in out.columns:
        levels = out.get_column("level").unique().to_list()
        out = out.with_columns(pl.col("level").replace_strict({lv: label(lv, lang) for lv in levels}))
    return out.rename({c: t(f"certificates.col_{c}", lang) for c in out.columns})


def _mask(frame: pl.DataFrame) -> pl.DataFrame:
    from examkit import privacy

    # column by column: privacy.mask_frame would also scrub 18-digit certificate numbers as if they were IDs
    maskers = {"name": privacy.mask_name, "id_number": privacy.mask_id}
    exprs = [mask(pl.col(c)).alias(c) for c, mask in maskers.items() if c in frame.columns]
    return frame.with_columns(exprs) if exprs else frame


def write_issue_list(
    register: pl.DataFrame,
    out_dir: str | os.PathLike,
    batch: str,
    *,
    held: pl.DataFrame | None = None,
    lang: str | None = None,
) -> dict[str, Path]:
    """The platform's issue list (full data, xlsx + csv) and the leadership copy (masked xlsx); returns the paths."""
    from examkit.iorw import write_csv, write_xlsx

    out = Path(out_dir)
    full = issue_list(register, masked=False, lang=lang)
    sheets = {t("certificates.sheet_issued", lang): full}
    if held is not None and held.height:
        sheets[t("certificates.sheet_held", lang)] = held_list(held, masked=False, lang=lang)
    paths = {
        "xlsx": out / f"certificates_{batch}.xlsx",
        "csv": out / f"certificates_{batch}.csv",
        "masked": out / f"certificates_{batch}_masked.xlsx",
    }
    write_xlsx(sheets, paths["xlsx"])
    write_csv(full, paths["csv"])
    masked = {t("certificates.sheet_issued", lang): issue_list(register, masked=True, lang=lang)}
    if held is not None and held.height:
        masked[t("certificates.sheet_held", lang)] = held_list(held, masked=True, lang=lang)
    write_xlsx(masked, paths["masked"])
    return paths


HELD_COLUMNS = ("candidate_no", "name", "id_number", "level", "held_certificate_no", "held_batch")


def held_list(held: pl.DataFrame, *, masked: bool, lang: str | None = None) -> pl.DataFrame:
    """Passers who got no certificate because they already hold this level, with the certificate they hold."""
    return _shown(held, HELD_COLUMNS, "candidate_no", masked, lang)


# --------------------------------------------------------------------------- issuing (through the gradebook)


@dataclass(frozen=True)
class IssueResult:
    """What one certificate run did: certificates newly issued, passers already holding the level, and earlier ones."""

    batch: str
    issued: pl.DataFrame  # register rows issued by this run
    held: pl.DataFrame  # passers who hold this level from an earlier batch (no new certificate)
    already: int  # certificates of this batch issued by earlier runs


def issue_batch(
    gradebook: Gradebook,
    batch: str,
    on: dt.date,
    *,
    by: str,
    out_dir: str | os.PathLike | None = None,
    params_dir: str | os.PathLike | None = None,
    lang: str | None = None,
) -> tuple[IssueResult, dict[str, Path]]:
    """Issue ``batch``'s certificates in ``gradebook`` on ``on`` and write the issue lists (whole batch)."""
    result = gradebook.issue_certificates(batch, on, layout=load_layout(params_dir), by=by)
    out = Path(out_dir) if out_dir else gradebook.path.parent / "certificates"
    paths = write_issue_list(gradebook.certificate_register(batch), out, batch, held=result.held, lang=lang)
    return result, paths


def cli_certificates(args: argparse.Namespace) -> int:
    """``examkit certificates --batch B [--on DATE] [--gradebook G | --params FILE] [--out DIR] [--by NAME]``."""
    from examkit.gradebook import Gradebook
    from examkit.publicity import actor, parse_date, refuse_future, resolve_target, today

    target = resolve_target(args)
    now = today(target.batch)
    on = parse_date(args.on) if args.on else now
    refuse_future(on, now)
    with Gradebook(target.gradebook) as gb:
        result, paths = issue_batch(
            gb, target.batch, on, by=actor(args), out_dir=args.out, params_dir=target.params_dir
        )
    print(
        t(
            "certificates.issued",
            batch=target.batch,
            issued=result.issued.height,
            already=result.already,
            held=result.held.height,
        )
    )
    if result.held.height:
        print(t("certificates.held_listed", count=result.held.height))
    for p in paths.values():
        print(f"  {p}")
    return 0
