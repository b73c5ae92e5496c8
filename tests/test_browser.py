"""Reports in a real browser with the network cut off: charts draw, nothing is fetched, a phone needs no sideways scroll.

Headless Chromium (Debian's ``chromium``, installed by ``.ci/run``) through the ``playwright`` package,
never a browser that playwright would download. Without a Chromium the tests skip, except under
``CI=true`` where they fail. Screenshots (375 px wide) go to ``EXAMKIT_SCREENSHOTS`` when set.
The checks themselves live in ``rendered_demo`` (``open_offline``, ``check_page``); the index and all
39 Chinese reports of the demo year go through them in ``test_demo_year.py``; here, the English report.
"""

from __future__ import annotations

import pytest
from rendered_demo import check_page, offline_browser, open_offline, rendered_english, shots_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    with offline_browser() as b:
        yield b


def test_english_report_renders_offline(browser, tmp_path_factory):
    english = rendered_english(tmp_path_factory)
    if english is None:
        pytest.skip("checking a given outputs folder")
    report = next(english.glob("*/pass_rates.html"))
    shots = shots_dir()
    result = open_offline(browser, report, shots / "en_pass_rates.jpg" if shots else None)
    check_page(result, "en/pass_rates.html")
    assert result["lang"] == "en" and result["charts"]
