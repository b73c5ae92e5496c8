"""``examkit grade``: the grading form as a standalone web page (Voilà on localhost).

For teachers who have never used Jupyter: no code, no notebook interface, just the form.
The command starts Voilà on ``notebooks/grade_app.ipynb`` as a child process, bound to
127.0.0.1, passes the batch's parameters file and the grader's name through environment
variables (Voilà kernels inherit the server's environment), prints the address to open,
and stops the server and its kernels cleanly on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from examkit.exceptions import ConfigError, ExamkitError
from examkit.i18n import get_lang, t

ENV_PARAMS = "EXAMKIT_GRADE_PARAMS"  # absolute path of params/<batch>.yaml
ENV_GRADER = "EXAMKIT_GRADE_GRADER"  # the grader's name ('' = typed in the page)
APP_NOTEBOOK = "grade_app.ipynb"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 120.0  # how long Voilà may take to start listening
STOP_TIMEOUT_S = 20.0  # how long Voilà may take to shut its kernels down before it is killed


def app_notebook() -> Path:
    from examkit.resources import notebooks_dir

    return notebooks_dir() / APP_NOTEBOOK


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return True
    return False


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1.0):
        return True
    return False


def params_file_for(batch: str, params_dir: str | os.PathLike | None) -> tuple[str, Path]:
    """The batch id (``2023-08`` or ``2023年第八次统考``) and its ``params/<batch>.yaml``; ``ConfigError`` if absent."""
    from examkit.notice import notice_for_batch

    batch_id = notice_for_batch(batch).batch(batch).id
    folder = Path(params_dir) if params_dir else Path.cwd() / "params"
    path = folder / f"{batch_id}.yaml"
    if not path.is_file():
        raise ConfigError(t("grade_app.no_params", file=str(path), batch=batch_id))
    return batch_id, path.resolve()


def voila_command(notebook: Path, port: int) -> list[str]:
    """The Voilà server command: localhost only, this port or fail, no browser, no tracebacks shown."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
    ]


def cli_grade(args) -> int:
    """``examkit grade --batch B [--grader NAME] [--port P] [--params-dir DIR]``."""
    from examkit.config import load_batch_params

    batch_id, params_file = params_file_for(args.batch, getattr(args, "params_dir", None))
    values = load_batch_params(params_file).values  # fail here, in the terminal, on a broken params file
    if not values.get("gradebook"):
        raise ConfigError(t("config.missing_key", file=str(params_file), key="gradebook"))
    port = int(args.port) if getattr(args, "port", None) else free_port()
    if port_in_use(port):
        raise ConfigError(t("grade_app.port_busy", port=port))
    env = {
        **os.environ,
        ENV_PARAMS: str(params_file),
        ENV_GRADER: str(getattr(args, "grader", None) or ""),
        "EXAMKIT_LANG": str(values.get("lang") or get_lang()),
        "PYTHONIOENCODING": "utf-8",
    }
    log = tempfile.TemporaryFile(mode="w+b")  # Voilà's own log: shown only if it fails to start
    proc = subprocess.Popen(
        voila_command(app_notebook(), port),
        env=env,
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
        print(t("grade_app.open", url=f"http://{HOST}:{port}/", batch=batch_id), flush=True)
        print(t("grade_app.how_to_stop"), flush=True)
        while (rc := proc.poll()) is None:  # a short sleep, not a blocking wait: Ctrl-C is seen at once
            time.sleep(0.3)
        print(t("grade_app.server_exited", code=rc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _stop(proc)
        print(t("grade_app.stopped"), flush=True)
        return 0
    finally:
        _restore_sigterm(previous)
        if proc.poll() is None:
            _stop(proc)
        log.close()


def _own_process_group() -> dict:
    """Start Voilà in its own process group: Ctrl-C reaches examkit only, which then stops Voilà once."""
    if os.name == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    return {"start_new_session": True}


def _stop_on_sigterm():
    """Ctrl-C, and SIGTERM like it, raise KeyboardInterrupt here, whatever handler a library installed."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread
            continue
    return previous


def _restore_sigterm(previous) -> None:
    for sig, old in (previous or {}).items():
        with contextlib.suppress(ValueError, OSError, TypeError):
            signal.signal(sig, old)


def _wait_until_listening(proc: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if _listening(port):
            return True
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen) -> None:
    """Ask Voilà to stop (it shuts its kernels down), then insist."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        proc.terminate()  # SIGTERM on POSIX (Voilà stops its loop and kernels); TerminateProcess on Windows
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- inside the page's kernel


def page(params_file: str = "", grader: str = ""):
    """What the page shows: the grading form for the batch in ``$EXAMKIT_GRADE_PARAMS`` (else ``params_file``).

    Without a parameters file it shows how to start the page (so the notebook also runs headless).
    Problems are shown as a message in the page, never as a traceback.
    """
    import html

    import ipywidgets as W

    from examkit.config import load_batch_params
    from examkit.i18n import set_lang

    params_file = os.environ.get(ENV_PARAMS) or params_file
    grader = os.environ.get(ENV_GRADER) or grader
    if os.environ.get("EXAMKIT_LANG") in ("zh", "en"):
        set_lang(os.environ["EXAMKIT_LANG"])
    if not params_file:
        return W.HTML(f"<p>{html.escape(t('grade_app.how_to_start'))}</p>")
    try:
        values = load_batch_params(params_file).values
        return build_form(values, grader)
    except ExamkitError as exc:
        return W.HTML(f'<p style="color:#b00020">{html.escape(str(exc))}</p>')


def build_form(values: dict, grader: str = ""):
    """The grading form for one batch's parameters: the same form ``grading.ipynb`` shows, same setup
    (candidates registered, a paper score sheet imported, double marking switched on as the parameters say)."""
    from examkit.session import open_batch
    from examkit.widgets import grading_form

    return grading_form(open_batch(**{**values, "grader": grader, "report_mode": False}))
