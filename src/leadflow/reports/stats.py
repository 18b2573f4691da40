"""Small statistics the reports need: a share with its 95% interval (Wilson score)."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the normal quantile of 0.975


@dataclass(frozen=True)
class Share:
    """`count` of `total`, its share and the Wilson 95% interval (None when `total` is 0).

    Wilson rather than the normal approximation: it stays inside 0..1 and is honest for the
    small counts a rep or a source often has (2 meetings of 5 leads: 0.40, interval 0.12–0.77).
    """

    count: int
    total: int

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.count, self.total)

    def as_dict(self) -> dict[str, float | int | None]:
        low, high = self.interval or (None, None)
        return {
            "count": self.count,
            "of": self.total,
            "share": self.share,
            "low": low,
            "high": high,
        }


def wilson(count: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of `count` successes in `total` trials."""
    if total <= 0:
        return None
    p = count / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    return max(0.0, centre - half), min(1.0, centre + half)
