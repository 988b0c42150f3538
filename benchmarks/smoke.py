"""``--quick``, the smoke run every benchmark offers: seconds of work on small data, one round.

It shows that a benchmark still runs (tests/test_benchmarks.py runs each one so, in CI);
its figures are not results: those come only from full runs (BENCHMARKS.md).
"""

import argparse
from typing import TypeVar

Sizes = TypeVar("Sizes")

NOTICE = "quick run: a smoke run on small data, one short round; its figures are not results"


def add_option(parser: argparse.ArgumentParser) -> None:
    """Give a benchmark's command line the ``--quick`` flag."""
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of a few seconds on small data (checks that the benchmark runs; "
                             "its figures are not results)")


def announce(quick: bool) -> None:
    """Say, before any figure, that a quick run's figures are not results."""
    if quick:
        print(NOTICE, flush=True)


def sizes(doc: str, quick: Sizes, full: Sizes) -> Sizes:
    """The command line of a benchmark whose only option is ``--quick``: read it, announce a
    quick run, and return the sizes of the run it asks for (``quick`` or ``full``)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    add_option(parser)
    chosen = parser.parse_args().quick
    announce(chosen)
    return quick if chosen else full
