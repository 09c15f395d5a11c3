"""Counts the reliability tests report at the end of a pytest run (printed by `pytest_terminal_summary` in conftest);
the README's "Reliability and safety" section quotes this line.

    cases              hypothesis examples run by tests/test_reliability.py (each one an input the code had to survive)
    unclear_errors     of those, errors that did not name the argument at fault (must stay 0)
    silent_nonfinite   of those, NaN / inf outputs without an error (must stay 0)
    silently_accepted  of those, wrong values that gave a result without an error (must stay 0)
    bad_recordings     bad recordings (unreadable, truncated, flat, NaN, ...) `neuript prepare` skipped and listed with
                       the right reason (tests/test_prepare_reliability.py)
    refused            mismatched or stale output folders and files refused with a clear ValueError
    intact             checks, after a skip, refusal or concurrent run, that the good data were all there
    kills              SIGKILLed training runs whose resume replayed the uninterrupted run exactly
    corrupt            corrupted / mismatched / hostile files that loading rejected with a clear ValueError
    peak_rss_mib       {label: peak resident memory of a long-recording run, MiB}
"""

from collections import Counter

COUNTS: Counter = Counter()
PEAK_RSS_MIB: dict = {}


def count(what: str, amount: int = 1) -> None:
    COUNTS[what] += amount


def summary_line() -> str:
    rss = ", ".join(f"{label} {mib:.0f} MiB" for label, mib in PEAK_RSS_MIB.items()) or "not measured"
    return (
        f"reliability summary: hypothesis cases generated {COUNTS['cases']} (unclear errors "
        f"{COUNTS['unclear_errors']}, silent non-finite outputs {COUNTS['silent_nonfinite']}, wrong values silently "
        f"accepted {COUNTS['silently_accepted']}), bad recordings skipped with their reason {COUNTS['bad_recordings']}, "
        f"mismatched folders refused {COUNTS['refused']}, data intact after each {COUNTS['intact']} checks, "
        f"kills survived {COUNTS['kills']}, corrupt files rejected {COUNTS['corrupt']}, long-recording peak RSS: {rss}"
    )
