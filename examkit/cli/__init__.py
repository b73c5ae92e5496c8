"""The ``examkit`` command line: the only layer that prints or exits."""

from examkit.cli.main import main

__all__ = ["main"]
