"""Grader links for ``examkit grade --lan``: hashed tokens, revocation, the graders file, the LAN address."""

from __future__ import annotations

import json
import os
import stat
import struct

import pytest

from examkit.core.exceptions import ConfigError, InputError
from examkit.io.grader_tokens import (
    TokenTable,
    hash_token,
    issue_tokens,
    read_graders_file,
    read_tokens,
    revoke,
    tokens_file_for,
)
from examkit.notebook.grade_page import lan_grader
from examkit.run.lan import choose_address, links_page
from examkit.run.lan_proxy import client_message_allowed


def test_tokens_are_random_and_stored_only_hashed(tmp_path):
    path = tokens_file_for(tmp_path / "成绩库.sqlite", "2023-01")
    assert path == tmp_path / "成绩库.2023-01.grade-tokens.json"
    tokens = issue_tokens(path, "2023-01", ["王老师", "李老师"])
    assert len(set(tokens.values())) == 2 and all(len(tok) >= 32 for tok in tokens.values())
    text = path.read_text(encoding="utf-8")
    assert not any(tok in text for tok in tokens.values())  # only the hashes are kept
    assert {e.name: e.sha256 for e in read_tokens(path)} == {n: hash_token(tok) for n, tok in tokens.items()}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))  # written atomically, nothing left behind
    table = TokenTable(path)
    assert table.grader(tokens["王老师"]) == "王老师"
    assert table.grader(tokens["李老师"]) == "李老师"
    assert table.grader("not-a-token") is None and table.grader("") is None and table.grader(None) is None


def test_issuing_again_invalidates_the_old_links(tmp_path):
    path = tmp_path / "t.json"
    old = issue_tokens(path, "2023-01", ["王老师"])
    table = TokenTable(path)
    assert table.grader(old["王老师"]) == "王老师"
    new = issue_tokens(path, "2023-01", ["王老师"])
    os.utime(path, ns=(1, 1))  # even when the clock does not move, the table sees a changed file
    assert table.grader(old["王老师"]) is None
    assert table.grader(new["王老师"]) == "王老师"


def test_revoking_takes_effect_on_a_table_already_reading_the_file(tmp_path):
    path = tmp_path / "t.json"
    tokens = issue_tokens(path, "2023-01", ["王老师", "李老师"])
    table = TokenTable(path)
    assert table.grader(tokens["李老师"]) == "李老师"
    assert revoke(path, ["李老师"]) == ["李老师"]
    assert table.grader(tokens["李老师"]) is None
    assert table.grader(tokens["王老师"]) == "王老师"
    assert revoke(path, ["李老师"]) == []  # already revoked: nothing new
    entry = {e["name"]: e for e in json.loads(path.read_text(encoding="utf-8"))["graders"]}
    assert entry["李老师"]["revoked"] and entry["王老师"]["revoked"] is None
    with pytest.raises(ConfigError, match=r"赵老师.*王老师"):
        revoke(path, ["赵老师"])


def test_an_unreadable_tokens_file_lets_nobody_in(tmp_path):
    path = tmp_path / "t.json"
    tokens = issue_tokens(path, "2023-01", ["王老师"])
    path.write_text("{ not json", encoding="utf-8")
    assert TokenTable(path).grader(tokens["王老师"]) is None
    with pytest.raises(ConfigError, match=r"t\.json"):
        read_tokens(path)
    assert TokenTable(tmp_path / "missing.json").grader(tokens["王老师"]) is None


def test_the_page_takes_the_grader_from_the_token_only(tmp_path):
    path = tmp_path / "t.json"
    tokens = issue_tokens(path, "2023-01", ["王老师"])
    assert lan_grader(str(path), f"token={tokens['王老师']}") == "王老师"
    assert lan_grader(str(path), "grader=王老师") is None  # a name in the query is nobody
    assert lan_grader(str(path), f"token=x&token={tokens['王老师']}") is None  # two tokens: refused
    assert lan_grader(str(path), "") is None


def test_graders_file_with_bom_comments_and_blank_lines(tmp_path):
    f = tmp_path / "评分员.txt"
    f.write_bytes("\ufeff王老师\n\n# 第二考场\n 李老师 \r\n".encode())
    assert read_graders_file(f) == ["王老师", "李老师"]


@pytest.mark.parametrize(
    ("content", "line", "value", "problem"),
    [
        ("王老师\n李老师\n王老师\n", 3, "王老师", "与第 1 行重复"),
        ("王老师\n" + "长" * 41 + "\n", 2, "长" * 41, "超过 40 个字符"),
        ("王老师\n李\x07老师\n", 2, "李\x07老师", "控制字符"),
    ],
)
def test_graders_file_errors_name_file_line_and_value(tmp_path, content, line, value, problem):
    f = tmp_path / "graders.txt"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_graders_file(f)
    msg = str(err.value)
    assert str(f) in msg and f"第 {line} 行" in msg and value in msg and problem in msg


def test_graders_file_not_utf8_or_empty(tmp_path):
    f = tmp_path / "gbk.txt"
    f.write_bytes("王老师\n李老师\n".encode() + "赵老师\n".encode("gbk"))
    with pytest.raises(InputError, match=r"gbk\.txt.*第 3 行.*UTF-8"):
        read_graders_file(f)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nobody\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.txt"):
        read_graders_file(empty)
    with pytest.raises(InputError, match=r"missing\.txt"):
        read_graders_file(tmp_path / "missing.txt")


def test_lan_address_prefers_a_private_address():
    assert choose_address(["127.0.0.1", "8.8.4.4", "192.168.1.20"]) == "192.168.1.20"
    assert choose_address(["127.0.1.1", "169.254.3.3", "10.0.0.7"]) == "10.0.0.7"
    assert choose_address(["127.0.0.1", "203.0.113.300", "8.8.4.4"]) == "8.8.4.4"  # no private one: any real one
    assert choose_address(["127.0.0.1", "::1", "fe80::1", "not an address"]) is None


def _msg(msg_type: str, channel: str = "shell") -> str:
    return json.dumps({"channel": channel, "header": {"msg_type": msg_type, "msg_id": "1"}, "content": {}})


def test_only_widget_messages_reach_the_kernel():
    for ok in ("comm_msg", "comm_open", "comm_close", "comm_info_request", "kernel_info_request"):
        assert client_message_allowed(_msg(ok))
    for bad in ("execute_request", "complete_request", "inspect_request", "history_request", "shutdown_request"):
        assert not client_message_allowed(_msg(bad))
    assert not client_message_allowed(_msg("comm_msg", channel="control"))
    assert not client_message_allowed(_msg("input_reply", channel="stdin"))
    assert not client_message_allowed("not json")
    assert not client_message_allowed(
        json.dumps({"channel": "shell", "header": {"msg_type": "comm_msg"}, "msg_type": "execute_request"})
    )
    # the binary framing (a message with buffers): [nbufs][offsets][json][buffers], big-endian
    for msg_type, expected in (("comm_msg", True), ("execute_request", False)):
        body = _msg(msg_type).encode()
        frame = struct.pack("!III", 2, 12, 12 + len(body)) + body + b"\x00\x01"
        assert client_message_allowed(frame) is expected
    assert not client_message_allowed(b"\x00\x00")


def _v1(channel: str, msg_type: str) -> bytes:
    parts = [channel.encode(), json.dumps({"msg_type": msg_type, "msg_id": "1"}).encode(), b"{}", b"{}", b"{}"]
    offsets, pos = [], 8 * (len(parts) + 2)
    for part in parts:
        offsets.append(pos)
        pos += len(part)
    offsets.append(pos)
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(parts)


def test_the_v1_binary_protocol_is_filtered_too():
    """What JupyterLab's services send by default (v1.kernel.websocket.jupyter.org)."""
    assert client_message_allowed(_v1("shell", "comm_msg"), v1=True)
    assert client_message_allowed(_v1("shell", "kernel_info_request"), v1=True)
    assert not client_message_allowed(_v1("shell", "execute_request"), v1=True)
    assert not client_message_allowed(_v1("control", "comm_msg"), v1=True)
    assert not client_message_allowed(_msg("comm_msg"), v1=True)  # text is not a v1 frame
    assert not client_message_allowed(_v1("shell", "comm_msg")[:20], v1=True)


def test_links_page_is_one_offline_file_with_a_qr_per_grader():
    page = links_page(
        "2023-01", {"王老师": "http://10.0.0.5:8866/?token=a", "李<老师>": "http://10.0.0.5:8866/?token=b"}
    )
    assert page.count("<svg") == 2 and "王老师" in page and "李&lt;老师&gt;" in page
    assert "http://10.0.0.5:8866/?token=b" in page
    assert "@page" in page and "A4" in page
    assert "<script" not in page and "src=" not in page and "https://" not in page


def _project(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    gradebook = tmp_path / "gb.sqlite"
    (params / "2023-01.yaml").write_text(f'batch: "2023-01"\nlang: zh\ngradebook: {gradebook.as_posix()}\n', "utf-8")
    return params, gradebook


def _cli(capsys, *argv) -> tuple[int, str]:
    from examkit.cli import main

    code = main(["--lang", "zh", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_lan_options_are_checked_before_anything_starts(tmp_path, capsys):
    params, _ = _project(tmp_path)
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--lan", "--params-dir", params)
    assert code == 2 and "--grader" in out and "--graders" in out
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--graders", "x.txt", "--params-dir", params)
    assert code == 2 and "--graders" in out and "--lan" in out
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--grader", "甲", "--grader", "乙", "--params-dir", params)
    assert code == 2 and "--lan" in out
    bad = tmp_path / "graders.txt"
    bad.write_text("甲\n甲\n", encoding="utf-8")
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--lan", "--graders", bad, "--params-dir", params)
    assert code == 2 and str(bad) in out and "第 2 行" in out
    assert "Traceback" not in out


def test_cli_revoke(tmp_path, capsys):
    params, gradebook = _project(tmp_path)
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--revoke", "甲", "--params-dir", params)
    assert code == 2 and "grade-tokens.json" in out  # no links issued yet: said so, no traceback
    path = tokens_file_for(gradebook, "2023-01")
    tokens = issue_tokens(path, "2023-01", ["甲", "乙", "丙"])
    names = tmp_path / "revoke.txt"
    names.write_text("丙\n", encoding="utf-8")
    code, out = _cli(
        capsys, "grade", "--batch", "2023-01", "--revoke", "甲", "--revoke-file", names, "--params-dir", params
    )
    assert code == 0 and "甲" in out and "丙" in out
    table = TokenTable(path)
    assert (table.grader(tokens["甲"]), table.grader(tokens["乙"]), table.grader(tokens["丙"])) == (None, "乙", None)
    code, out = _cli(capsys, "grade", "--batch", "2023-01", "--revoke", "丁", "--params-dir", params)
    assert code == 2 and "丁" in out and "乙" in out
