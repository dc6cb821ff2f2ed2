"""Exponential back-off with jitter for live feeds: how long to wait before the next try.

Kept free of ccxt and asyncio so it can be tested with a seeded RNG alone. A venue's
own Retry-After is honoured on top of the schedule.
"""

from __future__ import annotations

import email.utils
import random


class Backoff:
    """Delays `initial_s * 2**(n-1)` capped at `max_s`, each spread by +-`jitter` of itself.

    Jitter keeps many clients (or many venues of one client) from reconnecting
    in lockstep after a shared outage.
    """

    def __init__(
        self,
        initial_s: float = 1.0,
        max_s: float = 60.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise ValueError(
                f"back-off needs 0 < initial_s <= max_s, got initial {initial_s}, max {max_s}"
            )
        if not 0 <= jitter < 1:
            raise ValueError(f"back-off jitter must be in [0, 1), got {jitter}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self._rng = rng or random.Random()
        self.attempts = 0
        """Failures since the last success."""

    def next_delay(self, at_least: float | None = None) -> float:
        """Count one more failure and return how long to wait before retrying.

        `at_least` is a wait the venue asked for (Retry-After): it wins when longer
        than the schedule, which stays the lower bound (venues escalate ignored 429s
        into bans).
        """
        self.attempts += 1
        # Cap the exponent too, so a venue down for days does not overflow a float.
        raw = min(self.max_s, self.initial_s * 2.0 ** min(self.attempts - 1, 60))
        spread = 1.0 + self.jitter * (2.0 * self._rng.random() - 1.0)
        return max(raw * spread, at_least or 0.0)

    def reset(self) -> None:
        """A success: the next failure starts again from `initial_s`."""
        self.attempts = 0


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header in seconds from `now`: delta-seconds or an HTTP date (RFC 9110);
    None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)
