"""Durations as the report engine counts them: exact to the second up to an hour, then within 1%.

A report's percentiles come from counts of durations in buckets, so that a database can count
them (`GROUP BY bucket`) over a million leads without sending each one back. Bucket `b` holds:

- `b < 3600`: the durations that round to `b` seconds (exact: a lead touched after 4 min 12 s
  is in bucket 252);
- `b >= 3600`: durations from `3600 × 1.01^(b − 3600)` seconds, each bucket 1% wider than the
  last (bucket 3600 is one hour; 4063 is about one day; 4500 is about 87 days).

A percentile is nearest-rank: the smallest bucket that holds at least that share of the leads
counted, read as its lower edge. Worked example: durations 30, 60, 60, 90, 7200 s → buckets
30, 60, 60, 90, 3670; the median (rank 3 of 5) is bucket 60, 60 s; p90 (rank 5) is bucket 3670,
3600 × 1.01^70 ≈ 7,217 s: within 1% of 7,200.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

EXACT_UNTIL = 3600
GROWTH = 1.01
_LOG_GROWTH = math.log(GROWTH)


def bucket(seconds: float | None) -> int | None:
    """The bucket of a duration (None stays None; a negative one counts as 0)."""
    if seconds is None:
        return None
    if seconds < EXACT_UNTIL - 0.5:
        return max(0, round(seconds))
    return EXACT_UNTIL + max(0, math.floor(math.log(seconds / EXACT_UNTIL) / _LOG_GROWTH + 1e-9))


def lower_edge(b: int) -> float:
    """The smallest duration bucket `b` holds, in seconds."""
    if b < EXACT_UNTIL:
        return float(b)
    return EXACT_UNTIL * GROWTH ** (b - EXACT_UNTIL)


def percentile(counts: Mapping[int, int], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of bucketed durations, in seconds."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for b in sorted(counts):
        seen += counts[b]
        if seen >= rank:
            return lower_edge(b)
    raise AssertionError("unreachable: the ranks add up to the total")


def share_within(counts: Mapping[int, int], seconds: float) -> int:
    """How many of the counted durations are at most `seconds` (exact under an hour)."""
    limit = bucket(seconds)
    assert limit is not None
    return sum(n for b, n in counts.items() if b <= limit)


def counted(durations: Iterable[float]) -> dict[int, int]:
    """Count durations into buckets (what the database does with GROUP BY)."""
    out: dict[int, int] = {}
    for d in durations:
        b = bucket(d)
        assert b is not None
        out[b] = out.get(b, 0) + 1
    return out
