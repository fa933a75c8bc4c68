"""What the reliability tests exercised, printed at the end of the run ("reliability counts"):
state-machine steps, soak events, faults injected, fuzz cases. A run that reports no work has
tested nothing, whatever its pass count says."""

from collections import Counter

COUNTS: Counter[str] = Counter()


def count(what: str, n: int = 1) -> None:
    COUNTS[what] += n
