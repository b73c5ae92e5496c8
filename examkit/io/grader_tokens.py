"""Grader links for ``examkit grade --lan``: one random token per grader, kept only as its SHA-256.

The tokens file sits beside the gradebook (``<gradebook stem>.<batch>.grade-tokens.json``) and is
written atomically. The LAN proxy and the page's kernel both read it (``TokenTable`` re-reads it
when it changes), so ``examkit grade --revoke NAME`` in another terminal takes effect at once.
The graders file (``--graders FILE``) is one name per line, UTF-8 (a BOM is fine), ``#`` comments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from examkit.core.exceptions import ConfigError, InputError
from examkit.core.i18n import t
from examkit.io.write import atomic_path

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 bits
MAX_NAME = 40


@dataclass(frozen=True)
class GraderToken:
    """One grader's entry: the name recorded with every mark, the token's SHA-256, when, and if revoked."""

    name: str
    sha256: str
    issued: str
    revoked: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_file_for(gradebook: str | os.PathLike, batch: str) -> Path:
    """Where the tokens of ``batch`` live: beside its gradebook."""
    g = Path(gradebook)
    return g.with_name(f"{g.stem}.{batch}.grade-tokens.json")


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _write(path: Path, batch: str, entries: list[GraderToken]) -> None:
    doc = {"version": 1, "batch": batch, "graders": [e.__dict__ for e in entries]}
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)  # hashes only, but nobody else's business


def issue_tokens(path: str | os.PathLike, batch: str, names: list[str]) -> dict[str, str]:
    """A new random token per name (the links), written hashed to ``path``; earlier tokens stop working."""
    names = check_names(names, source=str(path))
    tokens = {name: secrets.token_urlsafe(TOKEN_BYTES) for name in names}
    _write(Path(path), batch, [GraderToken(n, hash_token(tok), _now()) for n, tok in tokens.items()])
    return tokens


def read_tokens(path: str | os.PathLike) -> list[GraderToken]:
    """The entries of a tokens file; ``ConfigError`` naming the file if it is missing or unreadable."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        return [GraderToken(**e) for e in doc["graders"]]
    except FileNotFoundError as exc:
        raise ConfigError(t("lan.no_tokens_file", file=str(p))) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(t("lan.bad_tokens_file", file=str(p), error=str(exc))) from exc


def revoke(path: str | os.PathLike, names: list[str]) -> list[str]:
    """Mark the tokens of ``names`` revoked (atomically); the names revoked now. Unknown names: ``ConfigError``."""
    p = Path(path)
    entries = read_tokens(p)
    known = {e.name for e in entries}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            t("lan.unknown_grader", file=str(p), name="、".join(unknown), known="、".join(sorted(known)) or "—")
        )
    batch = json.loads(p.read_text(encoding="utf-8")).get("batch", "")
    stamp, done = _now(), []
    out = []
    for e in entries:
        if e.name in names and e.revoked is None:
            e = GraderToken(e.name, e.sha256, e.issued, stamp)  # noqa: PLW2901  replaced in the new list
            done.append(e.name)
        out.append(e)
    _write(p, batch, out)
    return done


class TokenTable:
    """Token → grader name from a tokens file, re-read whenever the file changes (revocation takes effect)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._by_hash: dict[str, str] = {}
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self._stamp and stamp is not None:
            return
        try:
            entries = read_tokens(self.path) if stamp is not None else []
        except ConfigError:
            entries = []  # unreadable: nobody gets in (fail closed) until it is fixed
        self._by_hash = {e.sha256: e.name for e in entries if e.revoked is None}
        self._stamp = stamp

    def grader(self, token: str | None) -> str | None:
        """The grader whose valid (not revoked) token this is, else None."""
        if not token or len(token) > 200:
            return None
        digest = hash_token(token)
        with self._lock:
            self._refresh()
            for known, name in self._by_hash.items():
                if hmac.compare_digest(known, digest):
                    return name
        return None


def check_names(names: list[str], *, source: str, lines: list[int] | None = None) -> list[str]:
    """Grader names, stripped; ``InputError`` naming the source, line and value of an empty, too long,
    control-character or duplicate name."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        line = lines[i] if lines else i + 1
        name = unicodedata.normalize("NFC", raw).strip()
        problem = None
        if not name:
            problem = t("lan.name_empty")
        elif len(name) > MAX_NAME:
            problem = t("lan.name_too_long", max=MAX_NAME)
        elif any(unicodedata.category(ch).startswith("C") for ch in name):
            problem = t("lan.name_control")
        elif name in seen:
            problem = t("lan.name_duplicate", first=seen[name])
        if problem:
            raise InputError(t("lan.bad_name", file=source, line=line, value=raw, problem=problem), file=source)
        seen[name] = line
        out.append(name)
    if not out:
        raise InputError(t("lan.no_graders", file=source), file=source)
    return out


def read_graders_file(path: str | os.PathLike) -> list[str]:
    """The names in a graders file: one per line, UTF-8 (BOM tolerated), blank lines and ``#`` comments skipped."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(t("io.cannot_open", file=str(p), error=exc.strerror or str(exc)), file=str(p)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(t("lan.graders_not_utf8", file=str(p), line=line), file=str(p)) from exc
    names, lines = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() and not raw.strip().startswith("#"):
            names.append(raw)
            lines.append(number)
    return check_names(names, source=str(p), lines=lines)
