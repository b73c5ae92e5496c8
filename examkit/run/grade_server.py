"""Serving the grading page with Voilà: a free port, the command line, waiting for it, and stopping it cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from examkit.core.exceptions import ConfigError
from examkit.core.i18n import t
from examkit.core.notice import notice_for_batch
from examkit.settings.resources import notebooks_dir

APP_NOTEBOOK = "grade_app.ipynb"
TEMPLATE = "examkit"  # examkit/run/voila_data/voila/templates/examkit: the lab template made for phones


HOST = "127.0.0.1"


STARTUP_TIMEOUT_S = 120.0  # how long Voilà may take to start listening


KERNEL_IDLE_S = 900  # a page's kernel with no browser connected is shut down after 15 idle minutes


STOP_TIMEOUT_S = 20.0  # how long Voilà may take to shut its kernels down before it is killed


def app_notebook() -> Path:
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
    batch_id = notice_for_batch(batch).batch(batch).id
    folder = Path(params_dir) if params_dir else Path.cwd() / "params"
    path = folder / f"{batch_id}.yaml"
    if not path.is_file():
        raise ConfigError(t("grade_app.no_params", file=str(path), batch=batch_id))
    return batch_id, path.resolve()


def voila_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with examkit's Voilà template on the Jupyter data path (``--template=examkit`` finds it there)."""
    data = str(Path(__file__).with_name("voila_data"))
    return {**env, "JUPYTER_PATH": os.pathsep.join(filter(None, (data, env.get("JUPYTER_PATH"))))}


def voila_command(notebook: Path, port: int) -> list[str]:
    """The Voilà server command: localhost only, this port or fail, no browser, no tracebacks shown,
    examkit's template, no file of the notebook's folder served (``/voila/files/`` denies everything)."""
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
        f"--template={TEMPLATE}",
        "--VoilaConfiguration.file_denylist=.*",  # /voila/files/ serves nothing at all
        # a reloaded or closed page leaves its kernel behind (~180 MiB; the page's unload beacon does not
        # always arrive): shut down kernels nobody is connected to after KERNEL_IDLE_S of idleness
        f"--MappingKernelManager.cull_idle_timeout={KERNEL_IDLE_S}",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
    ]


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
