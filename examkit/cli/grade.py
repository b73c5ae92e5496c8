"""``examkit grade``: serve the grading form as a web page (Voilà) until Ctrl-C.

``--lan``: Voilà stays on 127.0.0.1; the LAN proxy (``examkit.run.lan_proxy``) is the way in, one
link with a random token per grader. ``--revoke NAME`` / ``--revoke-file FILE`` revoke links.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from examkit.core.exceptions import ConfigError, ExamkitError
from examkit.core.i18n import get_lang, t
from examkit.io.grader_tokens import check_names, issue_tokens, read_graders_file, revoke, tokens_file_for
from examkit.notebook.grade_page import ENV_GRADER, ENV_PARAMS, ENV_TOKENS
from examkit.run.grade_server import (
    HOST,
    _own_process_group,
    _restore_sigterm,
    _stop,
    _stop_on_sigterm,
    _wait_until_listening,
    app_notebook,
    free_port,
    params_file_for,
    port_in_use,
    voila_command,
    voila_env,
)
from examkit.run.lan import grader_url, lan_address, terminal_qr, write_links_page
from examkit.run.lan_proxy import LanProxy
from examkit.settings.params import load_batch_params


def cli_grade(args) -> int:
    """``examkit grade --batch B [--grader NAME]… [--lan [--graders FILE] [--host H]] [--port P] [--params-dir DIR]``,
    or ``examkit grade --batch B --revoke NAME… | --revoke-file FILE``."""
    batch_id, params_file = params_file_for(args.batch, getattr(args, "params_dir", None))
    values = load_batch_params(params_file).values  # fail here, in the terminal, on a broken params file
    if not values.get("gradebook"):
        raise ConfigError(t("config.missing_key", file=str(params_file), key="gradebook"))
    tokens_file = tokens_file_for(values["gradebook"], batch_id)
    if getattr(args, "revoke", None) or getattr(args, "revoke_file", None):
        return _revoke(args, tokens_file)
    lan = bool(getattr(args, "lan", False))
    graders = list(getattr(args, "grader", None) or [])
    for option in ("graders", "host", "links_page"):
        if getattr(args, option, None) and not lan:
            raise ConfigError(t("lan.lan_only", option="--" + option.replace("_", "-")))
    if len(graders) > 1 and not lan:
        raise ConfigError(t("lan.lan_only", option="--grader ×2"))
    env = {
        **os.environ,
        ENV_PARAMS: str(params_file),
        ENV_GRADER: "" if lan else (graders[0] if graders else ""),
        "EXAMKIT_LANG": str(values.get("lang") or get_lang()),
        "PYTHONIOENCODING": "utf-8",
    }
    if not lan:
        port = int(args.port) if getattr(args, "port", None) else free_port()
        if port_in_use(port):
            raise ConfigError(t("grade_app.port_busy", port=port))
        return _serve(env, port, lambda: _announce_local(port, batch_id))

    names = _lan_graders(args, graders)
    host = getattr(args, "host", None) or lan_address()
    if not host:
        raise ConfigError(t("lan.no_lan_address"))
    tokens = issue_tokens(tokens_file, batch_id, names)
    env[ENV_TOKENS] = str(tokens_file)
    proxy = LanProxy(host, int(getattr(args, "port", None) or 0), free_port(), tokens_file)
    links_page = Path(args.links_page) if getattr(args, "links_page", None) else _default_links_page(values, batch_id)
    return _serve(env, proxy.upstream_port, lambda: _start_lan(proxy, batch_id, tokens, links_page), proxy)


def _lan_graders(args, graders: list[str]) -> list[str]:
    if getattr(args, "graders", None):
        graders = graders + read_graders_file(args.graders)
    if not graders:
        raise ConfigError(t("lan.need_graders"))
    return check_names(graders, source="--grader / --graders")


def _default_links_page(values: dict, batch_id: str) -> Path:
    g = Path(values["gradebook"])
    return g.with_name(f"{g.stem}.{batch_id}.grade-links.html")


def _revoke(args, tokens_file: Path) -> int:
    names = list(getattr(args, "revoke", None) or [])
    if getattr(args, "revoke_file", None):
        names += read_graders_file(args.revoke_file)
    done = revoke(tokens_file, names)
    if done:
        print(t("lan.revoked", names="、".join(done)), flush=True)
    already = [n for n in names if n not in done]
    if already:
        print(t("lan.already_revoked", names="、".join(already)), flush=True)
    return 0


def _announce_local(port: int, batch_id: str) -> None:
    print(t("grade_app.open", url=f"http://{HOST}:{port}/", batch=batch_id), flush=True)


def _start_lan(proxy: LanProxy, batch_id: str, tokens: dict[str, str], links_page: Path) -> None:
    """Open the LAN gate (Voilà is up), then print each grader's link and QR code and write the links page."""
    try:
        port = proxy.start()
    except OSError as exc:
        raise ConfigError(t("lan.bad_host", host=proxy.host, port=proxy.port, error=exc.strerror or exc)) from exc
    links = {name: grader_url(proxy.host, port, token) for name, token in tokens.items()}
    write_links_page(links_page, batch_id, links, get_lang())
    print(t("lan.links_title", batch=batch_id), flush=True)
    for name, url in links.items():
        print(t("lan.link_line", name=name, url=url))
        print(terminal_qr(url), flush=True)
    print(t("lan.links_page", file=str(links_page)), flush=True)
    print(t("lan.open_lan", url=f"http://{proxy.host}:{port}/", batch=batch_id), flush=True)


def _serve(env: dict[str, str], port: int, announce, proxy: LanProxy | None = None) -> int:
    """Start Voilà on 127.0.0.1:``port``, ``announce()`` once it listens, run until Ctrl-C."""
    log = tempfile.TemporaryFile(mode="w+b")  # Voilà's own log: shown only if it fails to start
    proc = subprocess.Popen(
        voila_command(app_notebook(), port),
        env=voila_env(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        **_own_process_group(),
    )
    previous = _stop_on_sigterm()
    try:
        if not _wait_until_listening(proc, port):
            _stop(proc)
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-15:]
            raise ExamkitError(t("grade_app.failed_to_start", port=port, log="\n".join(tail)))
        announce()
        print(t("grade_app.how_to_stop"), flush=True)
        while (rc := proc.poll()) is None:  # a short sleep, not a blocking wait: Ctrl-C is seen at once
            time.sleep(0.3)
        print(t("grade_app.server_exited", code=rc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if proxy is not None:
            proxy.stop()
        _stop(proc)
        print(t("grade_app.stopped"), flush=True)
        return 0
    finally:
        _restore_sigterm(previous)
        if proxy is not None:
            proxy.stop()
        if proc.poll() is None:
            _stop(proc)
        log.close()
