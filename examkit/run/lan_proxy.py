"""The gate in front of Voilà for ``examkit grade --lan``: tokens, an allow-list of paths, a filtered websocket.

Voilà listens on 127.0.0.1 only; this proxy listens on the LAN address and is the only way in:

- every request needs a valid grader token (``?token=`` on the first visit, then an HttpOnly
  SameSite=Strict cookie); without one it gets 403 and nothing else, static files included;
- only what the grading page needs is forwarded: the page ``/``, Voilà's and the widgets' static
  files, the page's own kernel (its websocket, its model, its shutdown). No ``/voila/files``, no
  ``/api/contents``, no ``/tree``, no other kernel (a kernel belongs to the token whose page started it);
- the page request reaches Voilà with the client's query replaced by ``token=<the verified token>``:
  the kernel resolves the grader from it (``QUERY_STRING``), so a typed name or parameter cannot
  impersonate anyone;
- client → kernel websocket messages (Jupyter's v1 binary protocol or the legacy JSON one, read
  either way) pass only on the shell channel and only as the widget
  messages ipywidgets needs: no ``execute_request``, so no code runs, whatever the browser sends;
- the tokens file is re-read when it changes: a revoked token fails at once for new requests and
  new websockets, and its open websockets are closed within ``SWEEP_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
import threading
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket
from tornado.ioloop import PeriodicCallback

from examkit.core.i18n import t
from examkit.io.grader_tokens import TokenTable, hash_token

V1 = "v1.kernel.websocket.jupyter.org"  # Jupyter's binary kernel websocket protocol (the page prefers it)
ALLOWED_SHELL = frozenset({"comm_msg", "comm_open", "comm_close", "comm_info_request", "kernel_info_request"})
STATIC_PREFIXES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/")
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
KERNEL_PATH = re.compile(rf"^/api/kernels/({_UUID})$")
SHUTDOWN_PATH = re.compile(rf"^/voila/api/shutdown/({_UUID})$")
PAGE_KERNEL = re.compile(rb'"kernelId":\s*"(' + _UUID.encode() + rb')"')
HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailers",
        "Transfer-Encoding",
        "Upgrade",
        "Content-Length",
        "Content-Encoding",
        "Accept-Encoding",
        "Cookie",
    )
)
SWEEP_S = 1.0  # how often open websockets are checked against the tokens file
PAGE_TIMEOUT_S = 600.0  # the page request waits while the kernel runs the notebook


def _v1_parts(message: bytes) -> tuple[str, dict]:
    """Channel and header of a ``v1.kernel.websocket.jupyter.org`` frame: [n][offsets…] (little-endian
    uint64), then channel, header, parent header, metadata, content, buffers."""
    (count,) = struct.unpack("<Q", message[:8])
    if not 3 <= count <= 1024:
        raise ValueError("offsets")
    offsets = struct.unpack(f"<{count}Q", message[8 : 8 * (count + 1)])
    channel = message[offsets[0] : offsets[1]].decode("utf-8")
    return channel, json.loads(message[offsets[1] : offsets[2]].decode("utf-8"))


def client_message_allowed(message: str | bytes, v1: bool = False) -> bool:
    """Whether a browser → kernel websocket message may pass: Jupyter's v1 binary protocol when ``v1``,
    else the legacy framing (JSON text, or binary [nbufs][offsets][json][buffers] big-endian uint32)."""
    try:
        if v1:
            if not isinstance(message, bytes):
                return False
            channel, header = _v1_parts(message)
            return channel == "shell" and header["msg_type"] in ALLOWED_SHELL
        if isinstance(message, bytes):
            (nbufs,) = struct.unpack("!I", message[:4])
            offsets = struct.unpack(f"!{nbufs}I", message[4 : 4 + 4 * nbufs])
            end = offsets[1] if nbufs > 1 else len(message)
            msg = json.loads(message[offsets[0] : end].decode("utf-8"))
        else:
            msg = json.loads(message)
        msg_type = msg["header"]["msg_type"]
        return msg.get("channel") == "shell" and msg_type in ALLOWED_SHELL and msg.get("msg_type", msg_type) == msg_type
    except (ValueError, KeyError, TypeError, IndexError, struct.error, UnicodeDecodeError):
        return False  # anything not understood is dropped


class _Gate:
    """Shared by the handlers: who a request is, which kernels are whose, open websockets."""

    def __init__(self, tokens_file: Path, upstream_port: int, cookie: str) -> None:
        self.table = TokenTable(tokens_file)
        self.upstream = f"127.0.0.1:{upstream_port}"
        self.cookie = cookie
        self.kernels: dict[str, str] = {}  # kernel id → sha256 of the token whose page started it
        self.sockets: set[ChannelsHandler] = set()
        self.dropped = 0  # messages refused on the websocket (for tests and the benchmark)
        self.client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=64)

    def token(self, handler: tornado.web.RequestHandler) -> tuple[str | None, bool]:
        """The request's token (from ``?token=``, else the cookie) and whether it came in the URL."""
        query = handler.get_query_argument("token", None)
        return (query, True) if query else (handler.get_cookie(self.cookie), False)

    def owns(self, token: str, kernel_id: str) -> bool:
        return self.kernels.get(kernel_id) == hash_token(token)

    def headers(self, handler: tornado.web.RequestHandler) -> dict[str, str]:
        """The request's headers for Voilà: no hop-by-hop ones, none of our cookie."""
        out = {
            k: v
            for k, v in handler.request.headers.get_all()
            if k.lower() not in HOP_BY_HOP and not k.lower().startswith("sec-websocket-")
        }
        jar = SimpleCookie()
        with contextlib.suppress(Exception):
            jar.load(handler.request.headers.get("Cookie", ""))
        rest = "; ".join(f"{k}={m.value}" for k, m in jar.items() if k != self.cookie)
        if rest:
            out["Cookie"] = rest
        return out


def _query_without_token(handler: tornado.web.RequestHandler) -> str:
    pairs = [(k, v) for k, v in parse_qsl(handler.request.query, keep_blank_values=True) if k != "token"]
    return urlencode(pairs)


def _refuse(handler: tornado.web.RequestHandler, status: int = 403) -> None:
    handler.clear()
    handler.set_status(status)
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(t("lan.bad_link") if status == 403 else "")


class GateHandler(tornado.web.RequestHandler):
    """Every plain HTTP request: check the token, then forward what the page needs, refuse the rest."""

    def initialize(self, gate: _Gate) -> None:
        self.gate = gate

    def set_default_headers(self) -> None:
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.clear_header("Server")

    async def get(self) -> None:
        await self._handle()

    async def post(self) -> None:
        await self._handle()

    async def _handle(self) -> None:
        token, in_url = self.gate.token(self)
        if not token or self.gate.table.grader(token) is None:
            return _refuse(self)
        path, method = self.request.path, self.request.method
        if in_url:  # first visit: keep the token in a cookie, take it out of the address bar
            self.set_cookie(self.gate.cookie, token, httponly=True, samesite="Strict", path="/")
            if method == "GET" and path == "/":
                # a same-site reload (not a redirect): SameSite=Strict cookies are sent after a QR scan too
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.set_header("Cache-Control", "no-store")
                return self.finish('<!DOCTYPE html><meta http-equiv="refresh" content="0; url=/"><a href="/">…</a>')
        if method == "GET" and path == "/":
            return await self._forward(f"/?{urlencode({'token': token})}", token=token, page=True)
        if method == "GET" and path.startswith(STATIC_PREFIXES) and ".." not in path:
            return await self._forward(self.request.path + _q(_query_without_token(self)))
        kernel = KERNEL_PATH.match(path) if method == "GET" else SHUTDOWN_PATH.match(path) if method == "POST" else None
        if kernel and self.gate.owns(token, kernel.group(1)):
            return await self._forward(self.request.path + _q(_query_without_token(self)))
        return _refuse(self, 404)

    async def _forward(self, target: str, *, token: str | None = None, page: bool = False) -> None:
        method = self.request.method
        request = tornado.httpclient.HTTPRequest(
            f"http://{self.gate.upstream}{target}",
            method=method,
            headers=self.gate.headers(self),
            body=self.request.body if method == "POST" else None,
            allow_nonstandard_methods=True,
            follow_redirects=False,
            decompress_response=True,
            request_timeout=PAGE_TIMEOUT_S if page else 60.0,
        )
        response = await self.gate.client.fetch(request, raise_error=False)
        if response.code == 599:  # Voilà not answering
            return _refuse(self, 502)
        self.set_status(response.code, response.reason)
        for name, value in response.headers.get_all():
            if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "cookie"):
                self.add_header(name, value)
        body = response.body or b""
        if page and token:
            for kernel_id in PAGE_KERNEL.findall(body):
                self.gate.kernels[kernel_id.decode()] = hash_token(token)
            self.set_header("Cache-Control", "no-store")
        self.finish(body)


def _q(query: str) -> str:
    return f"?{query}" if query else ""


class ChannelsHandler(tornado.websocket.WebSocketHandler):
    """The kernel websocket of one page: its owner's token only, widget messages only."""

    def initialize(self, gate: _Gate) -> None:
        self.gate = gate
        self.upstream: tornado.websocket.WebSocketClientConnection | None = None
        self.token: str | None = None
        self.v1 = False

    async def get(self, kernel_id: str) -> None:
        token, _ = self.gate.token(self)
        if not token or self.gate.table.grader(token) is None or not self.gate.owns(token, kernel_id):
            return _refuse(self)
        self.token = token
        await super().get(kernel_id)

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        """The page's v1 protocol when it asks for it (refusing it breaks its handshake), else legacy JSON."""
        self.v1 = V1 in subprotocols
        return V1 if self.v1 else None

    async def open(self, kernel_id: str) -> None:
        request = tornado.httpclient.HTTPRequest(
            f"ws://{self.gate.upstream}/api/kernels/{kernel_id}/channels{_q(_query_without_token(self))}",
            headers=self.gate.headers(self),
        )
        try:
            self.upstream = await tornado.websocket.websocket_connect(
                request,
                on_message_callback=self._from_kernel,
                max_message_size=256 << 20,
                subprotocols=[V1] if self.v1 else None,
            )
        except Exception:
            self.close(1011)
            return
        if (self.upstream.selected_subprotocol == V1) != self.v1:  # both sides must speak the same framing
            self.upstream.close()
            self.upstream = None
            self.close(1011)
            return
        self.gate.sockets.add(self)

    def on_message(self, message: str | bytes) -> None:
        if self.upstream is None:
            return
        if not client_message_allowed(message, self.v1):
            self.gate.dropped += 1
            return
        self.upstream.write_message(message, binary=isinstance(message, bytes))

    def _from_kernel(self, message: str | bytes | None) -> None:
        if message is None:
            self.close()
            return
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        self.gate.sockets.discard(self)
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None


class LanProxy:
    """The gate, run on its own thread and event loop; ``start()`` binds (errors raise here), ``stop()`` ends it."""

    def __init__(self, host: str, port: int, upstream_port: int, tokens_file: str | Path) -> None:
        self.host, self.port, self.upstream_port = host, port, upstream_port
        self.tokens_file = Path(tokens_file)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.gate: _Gate | None = None

    def start(self) -> int:
        """Bind the LAN address (``OSError`` if it cannot) and serve; the port it listens on."""
        sockets = tornado.netutil.bind_sockets(self.port, self.host)
        self.port = int(sockets[0].getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, args=(sockets,), name="examkit-lan-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        return self.port

    def _run(self, sockets) -> None:
        asyncio.set_event_loop(self._loop)
        self.gate = _Gate(self.tokens_file, self.upstream_port, f"examkit_grade_{self.port}")
        args = {"gate": self.gate}
        app = tornado.web.Application(
            [(rf"/api/kernels/({_UUID})/channels", ChannelsHandler, args), (r".*", GateHandler, args)],
            websocket_ping_interval=20,
        )
        server = tornado.httpserver.HTTPServer(app, xheaders=False, max_body_size=1 << 20)
        server.add_sockets(sockets)
        sweep = PeriodicCallback(self._sweep, SWEEP_S * 1000)
        sweep.start()
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            sweep.stop()
            server.stop()
            for ws in list(self.gate.sockets):
                ws.close()
            self._loop.run_until_complete(asyncio.sleep(0.1))
            self.gate.client.close()
            self._loop.close()

    def _sweep(self) -> None:
        """Close the websockets of tokens revoked since they opened."""
        for ws in list(self.gate.sockets):
            if ws.token and self.gate.table.grader(ws.token) is None:
                ws.close(4003, "revoked")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
