"""The machine's LAN address and the grader links: printable page with QR codes (``examkit grade --lan``).

The address is found without sending anything: connecting a UDP socket only picks the interface
the system would route through, and the hostname's addresses are the fallback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import ipaddress
import os
import socket
from collections.abc import Iterable

from examkit.core.i18n import get_lang, t
from examkit.io.write import atomic_write_text
from examkit.report import style

# private addresses, one per RFC 1918 block; nothing is sent to them (UDP connect only picks a route)
PROBES = ("10.254.254.254", "192.168.254.254", "172.16.254.254")


def choose_address(candidates: Iterable[str]) -> str | None:
    """The address to serve on: the first private (RFC 1918) IPv4 one, else the first other non-loopback,
    non-link-local IPv4; None when there is only loopback."""
    usable = []
    for text in candidates:
        with contextlib.suppress(ValueError):
            a = ipaddress.ip_address(text)
            if a.version == 4 and not (a.is_loopback or a.is_link_local or a.is_unspecified or a.is_multicast):
                usable.append(a)
    private = [a for a in usable if a.is_private]
    best = (private or usable or [None])[0]
    return str(best) if best is not None else None


def _route_address(probe: str) -> str | None:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((probe, 9))
        return str(s.getsockname()[0])
    return None


def _hostname_addresses() -> list[str]:
    with contextlib.suppress(OSError):
        return list(socket.gethostbyname_ex(socket.gethostname())[2])
    return []


def lan_address() -> str | None:
    """This machine's LAN address (None when it has none)."""
    routed = [a for a in (_route_address(p) for p in PROBES) if a]
    return choose_address([*routed, *_hostname_addresses()])


def grader_url(host: str, port: int, token: str) -> str:
    return f"http://{host}:{port}/?token={token}"


def terminal_qr(url: str) -> str:
    """The link as a QR code drawn with block characters, for the terminal."""
    import segno  # noqa: PLC0415  only --lan needs it

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def links_page(batch: str, links: dict[str, str], lang: str | None = None) -> str:
    """One self-contained A4 page: per grader the name, the QR code (inline SVG) and the link."""
    import segno  # noqa: PLC0415  only --lan needs it

    cards: list[dict[str, str]] = []
    for name, url in links.items():
        svg = segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")
        cards.append({"name": name, "svg": svg, "url": url})
    return style.render_page(
        "grader_links.html.j2",
        lang=style.html_lang(lang or get_lang()),
        title=t("lan.page_title", lang, batch=batch),
        note=f"{t('lan.page_note', lang)} {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        cards=cards,
    )


def write_links_page(path: str | os.PathLike, batch: str, links: dict[str, str], lang: str | None = None) -> None:
    """Write the links page atomically (it holds the links: the file is readable by its owner only)."""
    atomic_write_text(path, links_page(batch, links, lang))
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
