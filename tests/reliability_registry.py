"""Counts the reliability tests report at the end of a pytest run (printed by `pytest_terminal_summary` in conftest).

    cases        hypothesis examples run by tests/test_reliability.py (each one an input the code had to survive)
    kills        SIGKILLed training runs whose resume replayed the uninterrupted run exactly
    corrupt      corrupted / mismatched / hostile files that loading rejected with a clear ValueError
    peak_rss_mib {label: peak resident memory of a long-recording run, MiB}
"""

from collections import Counter

COUNTS: Counter = Counter()
PEAK_RSS_MIB: dict = {}


def count(what: str, amount: int = 1) -> None:
    COUNTS[what] += amount


def summary_line() -> str:
    rss = ", ".join(f"{label} {mib:.0f} MiB" for label, mib in PEAK_RSS_MIB.items()) or "not measured"
    return (
        f"reliability summary: hypothesis cases generated {COUNTS['cases']}, kills survived {COUNTS['kills']}, "
        f"corrupt files rejected {COUNTS['corrupt']}, long-recording peak RSS: {rss}"
    )
