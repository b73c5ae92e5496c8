"""One CLI, one set of habits: every option explained in both languages, --lang anywhere, one --format."""

from __future__ import annotations

import argparse

import pytest

from examkit.cli import main
from examkit.cli.parser import build_parser
from examkit.core.i18n import get_lang, set_lang


def _parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def _help_texts(lang: str) -> dict[tuple[str, ...], dict[str, str | None]]:
    before = get_lang()
    set_lang(lang)
    try:
        return {
            path: {"/".join(a.option_strings) or a.dest: a.help for a in parser._actions}
            for path, parser in _parsers(build_parser())
        }
    finally:
        set_lang(before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_option_of_every_command_has_help(lang) -> None:
    missing = [
        f"{' '.join(path) or 'examkit'} {option}"
        for path, options in _help_texts(lang).items()
        for option, text in options.items()
        if not text or text == argparse.SUPPRESS
    ]
    assert missing == []


def test_help_is_chinese_by_default_and_english_on_request() -> None:
    zh, en = _help_texts("zh"), _help_texts("en")
    assert zh.keys() == en.keys()
    same = [
        f"{' '.join(path)} {option}" for path in zh for option, text in zh[path].items() if text == en[path][option]
    ]
    assert same == []  # every text is translated, none left in one language
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh[("fees",)]["--payments"])


def test_every_command_is_listed_in_the_grouped_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in commands:
        assert f"\n  {name} " in out, name


@pytest.mark.parametrize("argv", [["--lang", "en", "schedule"], ["schedule", "--lang", "en"]])
def test_lang_before_or_after_the_command(argv, capsys) -> None:
    before = get_lang()
    try:
        assert main([*argv, "--year", "2031"]) == 2
    finally:
        set_lang(before)
    assert "not" in capsys.readouterr().err.lower()  # the English message, whichever side --lang stood


@pytest.mark.parametrize(
    "command", [["schedule"], ["validate", "x.csv"], ["fees", "--registrations", "r", "--payments", "p"]]
)
def test_format_takes_the_same_names_everywhere_and_text_stays_an_alias(command) -> None:
    parser = build_parser()
    assert parser.parse_args([*command, "--format", "text"]).format == "table"
    for fmt in ("table", "csv", "json"):
        assert parser.parse_args([*command, "--format", fmt]).format == fmt
    with pytest.raises(SystemExit):
        parser.parse_args([*command, "--format", "xml"])
