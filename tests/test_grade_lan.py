"""End to end: ``examkit grade --lan`` on loopback, graders in headless Chromium, intruders with plain HTTP.

One server for the whole module (Voilà starts once); two graders' pages are opened once, one at
phone width (375 px), one at laptop width (1280 px), and shared by the tests in file order. Needs
Debian's chromium and playwright: skipped without them, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import polars as pl
import pytest
from live import chromium_executable, free_port, grading_project, read_lines

from examkit.core.i18n import t
from examkit.report.render import CHROMIUM_FLAGS
from examkit.settings.rubrics import load_rubric
from examkit.store.gradebook import Gradebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BATCH = "2023-01"  # junior: J1..J6
CANDIDATES = ["230100001", "230100002", "230100003", "230100004"]
GRADERS = ["王老师", "李老师", "赵老师"]
TIMEOUT_MS = 120_000
SAVED = t("grading.saved", "zh", time="").strip()
NOT_SAVED = t("grading.not_saved", "zh", error="").strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``examkit grade --lan`` on 127.0.0.1 for three graders; yields (base url, links, gradebook, root)."""
    chromium_executable()  # skip (fail in CI) before starting a server no browser can reach
    root = tmp_path_factory.mktemp("lan")
    params, gradebook = grading_project(
        root, BATCH, dict(zip(CANDIDATES, ["张三", "李四", "王五", "赵六"], strict=True))
    )
    (root / "graders.txt").write_text("\ufeff" + "\n".join(GRADERS[1:]) + "\n", encoding="utf-8")
    port = free_port()
    cmd = [sys.executable, "-m", "examkit", "grade", "--batch", BATCH, "--lan", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--grader", GRADERS[0], "--graders", str(root / "graders.txt")]
    cmd += ["--params-dir", str(params)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "EXAMKIT_LANG": "zh"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(proc.stdout, lines), daemon=True).start()
    links: dict[str, str] = {}
    seen: list[str] = []
    ready = t("grade_app.how_to_stop", "zh")
    while True:
        line = lines.get(timeout=180)
        if line is None:
            pytest.fail("examkit grade --lan ended early: " + "".join(seen))
        seen.append(line)
        if m := re.match(r"^(\S+)：(http://127\.0\.0\.1:\d+/\?token=[\w-]+)$", line.strip()):
            links[m.group(1)] = m.group(2)
        if ready in line:
            break
    try:
        yield f"http://127.0.0.1:{port}", links, gradebook, root, "".join(seen)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


@pytest.fixture(scope="module")
def pages(server):
    """Grader 王老师 on a phone (375 px), 李老师 on a laptop (1280 px), both on the form."""
    from playwright.sync_api import sync_playwright

    _base, links, *_ = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable(), args=list(CHROMIUM_FLAGS))
        phone = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
        laptop = browser.new_context(viewport={"width": 1280, "height": 800})
        out = {}
        for name, ctx in ((GRADERS[0], phone), (GRADERS[1], laptop)):
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(links[name])
            out[name] = page
        for page in out.values():  # both kernels start in parallel
            page.wait_for_selector(".examkit-grading .examkit-mark input")
        yield out
        browser.close()


def _controls(page) -> list[dict]:
    return page.eval_on_selector_all(
        ".examkit-grading input, .examkit-grading select, .examkit-grading button",
        """els => els.map(e => { const r = e.getBoundingClientRect();
            return {tag: e.tagName, text: (e.textContent || e.placeholder || e.value || '').trim(),
                    x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height,
                    inputmode: e.getAttribute('inputmode'), mark: !!e.closest('.examkit-mark')}; })""",
    )


def _row(page, item_name: str):
    return page.locator(".examkit-grading .widget-hbox").filter(has=page.locator(".examkit-mark", has_text=item_name))


@pytest.mark.parametrize(("grader", "width"), [(GRADERS[0], 375), (GRADERS[1], 1280)])
def test_every_control_fits_the_screen_and_is_big_enough_to_tap(pages, grader, width):
    page = pages[grader]
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    controls = _controls(page)
    assert len(controls) >= 12  # grader, search, candidate, next, absent, void, six marks
    for c in controls:
        assert c["x"] >= 0 and c["x"] + c["w"] <= width + 0.5, c
        assert c["h"] >= 43.5 and c["w"] >= 43.5, c
    for a in controls:  # nothing covers anything else
        for b in controls:
            if a is not b:
                apart = a["x"] + a["w"] <= b["x"] + 0.5 or b["x"] + b["w"] <= a["x"] + 0.5
                apart = apart or a["y"] + a["h"] <= b["y"] + 0.5 or b["y"] + b["h"] <= a["y"] + 0.5
                assert apart, (a, b)
    marks = [c for c in controls if c["mark"]]
    assert len(marks) == 6 and all(c["inputmode"] == "decimal" for c in marks)  # the numeric keypad
    names = {c["text"] for c in controls}
    assert t("grading.next_ungraded", "zh") in names
    # the name comes from the link and cannot be edited
    assert page.locator(".examkit-grading input").first.input_value() == grader
    assert page.locator(".examkit-grading input").first.is_disabled()


def test_saved_and_failed_states_are_shown_beside_the_mark(server, pages):
    from playwright.sync_api import expect

    gradebook = server[2]
    page = pages[GRADERS[0]]  # the phone
    rubric = load_rubric("junior")
    j1, j2 = rubric.item("J1"), rubric.item("J2")
    box = page.locator(".examkit-mark", has_text=j1.name_zh).locator("input")
    box.fill("16.5")
    box.press("Enter")
    expect(_row(page, j1.name_zh)).to_contain_text(SAVED)
    r = _row(page, j1.name_zh).get_by_text(SAVED).bounding_box()
    assert r["x"] >= 0 and r["x"] + r["width"] <= 375.5  # seen on the phone without scrolling sideways
    over = page.locator(".examkit-mark", has_text=j2.name_zh).locator("input")
    over.fill(str(j2.max + 5))
    over.press("Enter")
    expect(_row(page, j2.name_zh)).to_contain_text(NOT_SAVED)
    expect(_row(page, j2.name_zh)).to_contain_text(f"{j2.max:g}")  # and why: over the item's maximum
    expect(_row(page, j2.name_zh)).not_to_contain_text(SAVED)
    with Gradebook(gradebook) as gb:
        m = gb.mark(BATCH, CANDIDATES[0], "J1")
        assert (m.value, m.grader) == (16.5, GRADERS[0])
        assert gb.mark(BATCH, CANDIDATES[0], "J2").version == 0


def _pick(page, candidate: str) -> None:
    from playwright.sync_api import expect

    search = page.get_by_placeholder(t("grading.search_placeholder", "zh"))
    search.fill(candidate)
    search.press("Enter")
    expect(page.locator(".widget-dropdown select option:checked")).to_contain_text(candidate)


def _type(page, item_name: str, value: str) -> None:
    box = page.locator(".examkit-mark", has_text=item_name).locator("input")
    box.fill(value)
    box.press("Enter")


def test_two_graders_at_once_nothing_lost_each_mark_with_its_grader(server, pages):
    from playwright.sync_api import expect

    gradebook = server[2]
    rubric = load_rubric("junior")
    a, b = pages[GRADERS[0]], pages[GRADERS[1]]
    _pick(a, CANDIDATES[2])
    _pick(b, CANDIDATES[3])
    items = [i for i in rubric.items if not i.auto_scored]
    for n, item in enumerate(items):  # interleaved: the two kernels write to the one gradebook in turn
        _type(a, item.name_zh, f"{min(item.max, 5 + n):g}")
        _type(b, item.name_zh, f"{min(item.max, 6 + n):g}")
    for page in (a, b):
        expect(_row(page, items[-1].name_zh)).to_contain_text(SAVED)
    with Gradebook(gradebook) as gb:
        for cand, grader, base in ((CANDIDATES[2], GRADERS[0], 5), (CANDIDATES[3], GRADERS[1], 6)):
            for n, item in enumerate(items):
                m = gb.mark(BATCH, cand, item.id)
                assert (m.value, m.grader) == (min(item.max, base + n), grader), (cand, item.id)
        audit = gb.audit(BATCH).filter(pl.col("kind") == "mark")
        actors = dict(zip(audit.get_column("candidate_no"), audit.get_column("actor"), strict=False))
        assert actors[CANDIDATES[2]] == GRADERS[0] and actors[CANDIDATES[3]] == GRADERS[1]


def test_a_conflicting_edit_is_refused_and_shown(server, pages):
    from playwright.sync_api import expect

    gradebook = server[2]
    item = load_rubric("junior").item("J3")
    a, b = pages[GRADERS[0]], pages[GRADERS[1]]
    _pick(a, CANDIDATES[1])
    _pick(b, CANDIDATES[1])  # both forms read J3 of candidate 2 at version 0
    _type(a, item.name_zh, "7")
    expect(_row(a, item.name_zh)).to_contain_text(SAVED)
    _type(b, item.name_zh, "9")  # 李老师 had not seen 王老师's mark: refused, the current value shown
    expect(_row(b, item.name_zh)).not_to_contain_text(SAVED)
    expect(b.locator(".examkit-mark", has_text=item.name_zh).locator("input")).to_have_value("7")
    stale = t("gradebook.stale", "zh", candidate=CANDIDATES[1], item=item.name_zh, current="7", value="9")
    expect(_row(b, item.name_zh)).to_contain_text(stale)
    with Gradebook(gradebook) as gb:
        m = gb.mark(BATCH, CANDIDATES[1], "J3")
        assert (m.value, m.grader, m.version) == (7.0, GRADERS[0], 1)


def _get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


PATHS = [
    "/",
    "/voila/static/voila.js",
    "/voila/templates/examkit/static/index.css",
    "/voila/files/grade_app.ipynb",
    "/api/contents",
    "/api/kernels",
    "/tree",
    "/voila/render/grade_app.ipynb",
]


def _refused(status: int, body: bytes) -> bool:
    return status == 403 and len(body) < 200 and b"voila" not in body.lower() and b"{" not in body


def test_without_a_valid_token_nothing_is_served(server):
    base, links, *_ = server
    wrong = "token=" + "A" * 32
    for path in PATHS:
        assert _refused(*_get(base + path)), path
        assert _refused(*_get(base + path + ("&" if "?" in path else "?") + wrong)), path
        assert _refused(*_get(base + path, cookie=f"examkit_grade_{base.rsplit(':', 1)[1]}=nope")), path
    assert _refused(*_get(base + "/?grader=" + urllib.request.quote(GRADERS[0])))  # a name is no key
    # with a valid token: the page's static files, but never the notebook, the files, the contents or the tree
    status, _ = _get(links[GRADERS[2]])
    assert status == 200
    cookie = f"examkit_grade_{base.rsplit(':', 1)[1]}={links[GRADERS[2]].split('token=')[1]}"
    assert _get(base + "/voila/static/voila.js", cookie)[0] == 200
    for path in PATHS[3:]:
        assert _get(base + path, cookie)[0] == 404, path


def _ws(base: str, kernel_id: str, cookie: str | None, v1: bool = False):
    import websocket

    url = base.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id=test"
    protocols = ["v1.kernel.websocket.jupyter.org"] if v1 else None
    return websocket.create_connection(url, cookie=cookie, origin=base, timeout=30, subprotocols=protocols)


def _v1(message: str) -> bytes:
    """A legacy JSON message in the v1 binary framing the page itself uses."""
    msg = json.loads(message)
    parts = [msg["channel"].encode()] + [
        json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata", "content")
    ]
    offsets = [8 * (len(parts) + 2)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(parts)


def _msg_type(frame: str | bytes) -> str:
    if isinstance(frame, str):
        return json.loads(frame)["header"]["msg_type"]
    (n,) = struct.unpack("<Q", frame[:8])
    offsets = struct.unpack(f"<{n}Q", frame[8 : 8 * (n + 1)])
    return json.loads(frame[offsets[1] : offsets[2]])["msg_type"]  # the v1 header part


def _kernel_and_cookie(page) -> tuple[str, str]:
    kernel_id = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    cookies = page.context.cookies()
    return kernel_id, "; ".join(f"{c['name']}={c['value']}" for c in cookies if c["name"].startswith("examkit_grade"))


def _request(msg_type: str, content: dict) -> str:
    header = {"msg_id": f"{msg_type}-{time.monotonic_ns()}", "msg_type": msg_type, "username": "x", "session": "s"}
    header["version"] = "5.3"
    return json.dumps(
        {"channel": "shell", "header": header, "parent_header": {}, "metadata": {}, "content": content, "buffers": []}
    )


def test_the_websocket_runs_no_code(server, pages):
    import websocket

    base, _links, _gb, root, _out = server
    kernel_id, cookie = _kernel_and_cookie(pages[GRADERS[0]])
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        _ws(base, kernel_id, None)  # no token
    assert refused.value.status_code == 403
    other = f"examkit_grade_{base.rsplit(':', 1)[1]}={server[1][GRADERS[2]].split('token=')[1]}"
    with pytest.raises(websocket.WebSocketBadStatusException):
        _ws(base, kernel_id, other)  # a valid token, but not the one whose page started this kernel

    proof = root / "executed.txt"
    for v1 in (False, True):  # the legacy JSON framing, and the v1 binary one the page itself speaks
        ws = _ws(base, kernel_id, cookie, v1=v1)
        code = f"open({str(proof)!r}, 'w').write('ran')"
        for message in (
            _request("execute_request", {"code": code, "silent": False, "store_history": False}),
            _request("kernel_info_request", {}),  # allowed: its reply proves the socket works
        ):
            ws.send_binary(_v1(message)) if v1 else ws.send(message)
        replies = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "kernel_info_reply" not in replies:
            replies.append(_msg_type(ws.recv()))
        time.sleep(1.0)
        ws.close()
        assert "kernel_info_reply" in replies, v1
        assert "execute_reply" not in replies and "execute_input" not in replies, v1
        assert not proof.exists(), v1


def test_a_revoked_link_stops_working_at_once(server, pages):
    import websocket

    base, links, _gb, root, _out = server
    kernel_id, cookie = _kernel_and_cookie(pages[GRADERS[0]])
    ws = _ws(base, kernel_id, cookie)
    assert _get(base + "/voila/static/voila.js", cookie)[0] == 200
    params = root / "params"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "examkit",
            "grade",
            "--batch",
            BATCH,
            "--revoke",
            GRADERS[0],
            "--params-dir",
            str(params),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "EXAMKIT_LANG": "zh"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert GRADERS[0] in done.stdout
    assert _refused(*_get(base + "/voila/static/voila.js", cookie))
    assert _refused(*_get(links[GRADERS[0]]))
    with pytest.raises(websocket.WebSocketBadStatusException):
        _ws(base, kernel_id, cookie)
    ws.settimeout(5)  # the open websocket is closed within a second or two
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        for _ in range(50):
            ws.recv()
            ws.send(_request("kernel_info_request", {}))
    assert _get(links[GRADERS[1]])[0] == 200  # the others go on
