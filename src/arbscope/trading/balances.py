"""Paper balances: how much of each currency the user holds on each venue.

Starting balances come from `[paper] starting_balances`, where `"*"` is the
default for every venue not listed. A venue is materialised from its starting
balances the first time it is touched, so the ledger never invents money for a
venue the user never traded on. Amounts never go below zero: a debit larger
than the balance raises instead of leaving a silent overdraft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from arbscope.storage.sections import PaperConfig

DEFAULT_VENUE = "*"
"""Key of `[paper] starting_balances` that applies to every venue not listed."""

DEFAULT_STARTING_BALANCES: dict[str, dict[str, float]] = PaperConfig().starting_balances
"""`[paper] starting_balances`' default, for callers without Settings."""

DUST = 1e-12
"""Relative (and absolute, near zero) shortfall that is float noise, not money."""


class InsufficientBalanceError(ValueError):
    """A debit would take a balance below zero."""

    def __init__(self, venue: str, currency: str, needed: float, available: float) -> None:
        self.venue = venue
        self.currency = currency
        self.needed = needed
        self.available = available
        super().__init__(
            f"not enough {currency} on {venue}: needs {needed:.8g}, has {available:.8g}"
        )


class Balances:
    """Per-venue, per-currency paper balances (mutable; the broker is the only writer)."""

    def __init__(
        self,
        starting: Mapping[str, Mapping[str, float]] | None = None,
        current: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """`starting`: settings-shaped balances (`"*"` default); `current`: balances
        already known per venue (e.g. the trade log's last balances after a restart),
        which replace the starting balances of those venues."""
        source = DEFAULT_STARTING_BALANCES if starting is None else starting
        for venue, amounts in source.items():
            for currency, amount in amounts.items():
                if not amount >= 0:
                    raise ValueError(
                        f"starting balance {venue}.{currency} = {amount!r} must be zero or more"
                    )
        self._starting = {venue: dict(amounts) for venue, amounts in source.items()}
        self._held: dict[str, dict[str, float]] = {}
        for venue, amounts in (current or {}).items():
            self._held[venue] = dict(self._starting_for(venue))
            self._held[venue].update(amounts)

    def _starting_for(self, venue: str) -> Mapping[str, float]:
        return self._starting.get(venue, self._starting.get(DEFAULT_VENUE, {}))

    def _venue(self, venue: str) -> dict[str, float]:
        held = self._held.get(venue)
        if held is None:
            held = dict(self._starting_for(venue))
            self._held[venue] = held
        return held

    def get(self, venue: str, currency: str) -> float:
        """What the user holds; a venue never touched shows its starting balance."""
        held = self._held.get(venue)
        if held is None:
            return self._starting_for(venue).get(currency, 0.0)
        return held.get(currency, 0.0)

    def credit(self, venue: str, currency: str, amount: float) -> None:
        if amount < 0:
            raise ValueError(f"credit of {amount} {currency} must not be negative")
        held = self._venue(venue)
        held[currency] = held.get(currency, 0.0) + amount

    def debit(self, venue: str, currency: str, amount: float) -> None:
        """Take `amount`; raises InsufficientBalanceError rather than overdraw.

        A shortfall within DUST is float noise from cost*(1+fee) and is clamped
        to zero instead of refusing an order the user can in fact pay for.
        """
        if amount < 0:
            raise ValueError(f"debit of {amount} {currency} must not be negative")
        held = self._venue(venue)
        available = held.get(currency, 0.0)
        if amount > available * (1.0 + DUST) + DUST:
            raise InsufficientBalanceError(venue, currency, amount, available)
        held[currency] = max(0.0, available - amount)

    def copy(self) -> Balances:
        """An independent copy (the broker works on one until the trade log commits)."""
        other = Balances(self._starting)
        other._held = {venue: dict(amounts) for venue, amounts in self._held.items()}
        return other

    def replace_with(self, other: Balances) -> None:
        """Take `other`'s balances, in place: panes holding this object see them."""
        self._held = {venue: dict(amounts) for venue, amounts in other._held.items()}

    def touched_venues(self) -> tuple[str, ...]:
        """Venues materialised so far (traded on, or restored from the log)."""
        return tuple(sorted(self._held))

    def venue_balances(self, venue: str) -> dict[str, float]:
        """Copy of one venue's balances (starting balances if never touched)."""
        held = self._held.get(venue)
        return dict(held if held is not None else self._starting_for(venue))

    def snapshot(self, venues: Iterable[str] | None = None) -> dict[str, dict[str, float]]:
        """Copy of the balances of `venues` (default: every touched venue)."""
        names = self.touched_venues() if venues is None else tuple(venues)
        return {venue: self.venue_balances(venue) for venue in names}

    def total(self, currency: str) -> float:
        """Sum over touched venues (conservation checks compare these)."""
        return sum(held.get(currency, 0.0) for held in self._held.values())
