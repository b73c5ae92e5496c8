"""``examkit grade``: serve the grading form as a web page (Voilà) until Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from examkit.core.exceptions import ConfigError, ExamkitError
from examkit.core.i18n import get_lang, t
from examkit.notebook.grade_page import ENV_GRADER, ENV_PARAMS
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
from examkit.settings.params import load_batch_params


def cli_grade(args) -> int:
    """``examkit grade --batch B [--grader NAME] [--port P] [--params-dir DIR]``."""
    batch_id, params_file = params_file_for(args.batch, getattr(args, "params_dir", None))
    values = load_batch_params(params_file).values  # fail here, in the terminal, on a broken params file
    if not values.get("gradebook"):
        raise ConfigError(t("config.missing_key", file=str(params_file), key="gradebook"))
    port = int(args.port) if getattr(args, "port", None) else free_port()
    if port_in_use(port):
        raise ConfigError(t("grade_app.port_busy", port=port))
    env = voila_env(
        {
            **os.environ,
            ENV_PARAMS: str(params_file),
            ENV_GRADER: str(getattr(args, "grader", None) or ""),
            "EXAMKIT_LANG": str(values.get("lang") or get_lang()),
            "PYTHONIOENCODING": "utf-8",
        }
    )
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
