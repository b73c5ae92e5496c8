"""Dates typed on the command line are checked against today; a mistyped gradebook path is never created."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from factories import graded_gradebook
from test_publicity_cli import Clock, run

from examkit.core import publicity
from examkit.core.exceptions import ConfigError
from examkit.core.i18n import set_lang
from examkit.core.publicity import PublicityPeriod, check_request_date
from examkit.store.gradebook import Gradebook

ROOT = Path(__file__).resolve().parents[1]
B = "2023-01"
PUBLISHED = dt.date(2023, 5, 1)
# the period's last day worked out from the shipped policy (first day = publish date)
DAYS = yaml.safe_load((ROOT / "params" / "policy.yaml").read_text(encoding="utf-8"))["publicity_days"]
LAST = PUBLISHED + dt.timedelta(days=DAYS - 1)
AFTER = LAST + dt.timedelta(days=1)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(publicity, "today", lambda batch_id=None: c.day)
    return c


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A gradebook whose batch was published on PUBLISHED (C001 passes, C002 and C003 fail, C004 absent)."""
    path = tmp_path / "gb.sqlite"
    with graded_gradebook(path, B) as g:
        g.publish(B, PUBLISHED, days=DAYS, by="考务")
    return path


def request(capsys, gb: Path, on: str | None, *extra: str) -> tuple[int, str, str]:
    args = ["review", "request", "--batch", B, "--gradebook", str(gb), "--candidate", "C002", "--requested-by", "考生"]
    return run(capsys, *args, *(["--on", on] if on else []), *extra)


def reviews(gb: Path) -> list:
    with Gradebook(gb) as g:
        return g.reviews(B)


# --------------------------------------------------------------------------- the rule itself


def test_request_date_rule():
    period = PublicityPeriod(PUBLISHED, DAYS)
    # inside the period, recorded the same day or a day later while it is still open: fine, no reason needed
    assert check_request_date(LAST, LAST, period, None, B) is None
    assert check_request_date(PUBLISHED, LAST, period, "  ", B) is None
    assert check_request_date(PUBLISHED, PUBLISHED, period, "电话申请", B) == "电话申请"
    # a date after today
    with pytest.raises(ConfigError, match=str(LAST)):
        check_request_date(LAST, LAST - dt.timedelta(days=1), period, "x", B)
    # back-dated once the period is over: only with a reason, recorded as a late entry
    with pytest.raises(ConfigError, match="--reason"):
        check_request_date(LAST, AFTER, period, None, B)
    recorded = check_request_date(LAST, AFTER, period, " 纸质申请漏登 ", B)
    assert recorded is not None and "纸质申请漏登" in recorded and str(AFTER) in recorded
    # a batch not published yet: the gradebook refuses it with its own message
    assert check_request_date(LAST, AFTER, None, None, B) is None


# --------------------------------------------------------------------------- review request from the command line


def test_future_request_is_refused(published, capsys, clock):
    clock.set(str(PUBLISHED + dt.timedelta(days=1)))
    rc, _, err = request(capsys, published, str(PUBLISHED + dt.timedelta(days=2)), "--reason", "x")
    assert rc == 2 and str(PUBLISHED + dt.timedelta(days=2)) in err and "Traceback" not in err
    assert reviews(published) == []


def test_backdated_request_after_the_period_needs_a_reason(published, capsys, clock):
    clock.set(str(AFTER + dt.timedelta(days=30)))
    rc, _, err = request(capsys, published, str(LAST))  # a day inside the period, typed long afterwards
    assert rc == 2 and "--reason" in err and str(LAST) in err
    assert reviews(published) == []
    rc, _, err = run(
        capsys,
        "--lang",
        "en",
        *["review", "request", "--batch", B, "--gradebook", str(published), "--candidate", "C002"],
        *["--requested-by", "考生", "--on", str(LAST)],
    )
    assert rc == 2 and "--reason" in err and "after the fact" in err
    set_lang("zh")
    rc, out, _ = request(capsys, published, str(LAST), "--reason", "纸质申请漏登")
    assert rc == 0 and "#1" in out
    got = reviews(published)
    assert [(r.candidate_no, r.requested_on) for r in got] == [("C002", LAST)]
    with Gradebook(published) as g:
        audit = g.audit(B, "C002")
    reasons = audit.filter(audit["kind"] == "review_request")["reason"].to_list()
    assert len(reasons) == 1 and "纸质申请漏登" in reasons[0] and "补录" in reasons[0]


def test_without_on_after_the_period_is_refused(published, capsys, clock):
    clock.set(str(AFTER))
    rc, _, err = request(capsys, published, None, "--reason", "x")  # today: outside the period
    assert rc == 2 and str(LAST) in err
    assert reviews(published) == []


def test_backdated_request_while_the_period_is_open_needs_no_reason(published, capsys, clock):
    clock.set(str(LAST))
    rc, out, _ = request(capsys, published, str(PUBLISHED))
    assert rc == 0 and "#1" in out
    assert [r.requested_on for r in reviews(published)] == [PUBLISHED]


# --------------------------------------------------------------------------- certificates


def test_certificates_on_a_future_date_are_refused(published, tmp_path, capsys, clock):
    clock.set(str(AFTER))
    later = AFTER + dt.timedelta(days=1)
    rc, _, err = run(
        capsys, "certificates", "--batch", B, "--gradebook", str(published), "--on", str(later), "--out", str(tmp_path)
    )
    assert rc == 2 and str(later) in err and str(AFTER) in err
    with Gradebook(published) as g:
        assert g.certificate_register(B).height == 0
    rc, _, _ = run(
        capsys, "certificates", "--batch", B, "--gradebook", str(published), "--on", str(AFTER), "--out", str(tmp_path)
    )
    assert rc == 0
    with Gradebook(published) as g:
        # only C001 passes: its items add up to 60 (factories.MARKS), C002 59.5, C003 45, C004 absent
        assert g.certificate_register(B)["candidate_no"].to_list() == ["C001"]


# --------------------------------------------------------------------------- a mistyped gradebook


@pytest.mark.parametrize(
    "command",
    [
        ["publish", "--on", "2023-05-01"],
        ["review", "list"],
        ["review", "request", "--candidate", "C002", "--requested-by", "考生"],
        ["certificates"],
    ],
)
def test_missing_gradebook_is_an_error_and_is_not_created(tmp_path, capsys, clock, command):
    clock.set("2023-05-02")
    nope = tmp_path / "nope.sqlite"
    head, tail = (command[:2], command[2:]) if command[0] == "review" else (command[:1], command[1:])
    rc, _, err = run(capsys, *head, "--batch", B, "--gradebook", str(nope), *tail)
    assert rc == 2 and str(nope) in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no gradebook, no -wal/-shm, no output folder


def test_missing_gradebook_named_in_the_params_file(tmp_path, capsys, clock):
    params = tmp_path / "params"
    params.mkdir()
    pfile = params / f"{B}.yaml"
    pfile.write_text(f"batch: '{B}'\ngradebook: data/typo.sqlite\n", encoding="utf-8")
    rc, _, err = run(capsys, "certificates", "--batch", B, "--params", str(pfile))
    assert rc == 2 and "typo.sqlite" in err and str(pfile) in err
    assert not (tmp_path / "data").exists()


# --------------------------------------------------------------------------- counted words in English


def test_a_one_day_period_is_one_day():
    from examkit.core.publicity import stage_of

    one = stage_of(PublicityPeriod(PUBLISHED, 1), PUBLISHED)
    assert one.label("en") == f"In publicity until {PUBLISHED} (from {PUBLISHED}, 1 day)"
    week = stage_of(PublicityPeriod(PUBLISHED, 7), PUBLISHED)
    assert week.label("en").endswith("7 days)") and week.label("zh").endswith("共 7 天）")


def test_certificate_summary_in_english(published, tmp_path, capsys, clock):
    clock.set(str(AFTER))
    g = ["--batch", B, "--gradebook", str(published), "--out", str(tmp_path / "c")]
    rc, out, _ = run(capsys, "--lang", "en", "certificates", *g)
    set_lang("zh")
    assert rc == 0
    assert (
        out.splitlines()[0]
        == f"{B}: certificates issued now: 1; issued before: 0; passers who already hold this level (none issued): 0"
    )
