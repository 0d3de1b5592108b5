"""How long to wait for a reply before sending a request again: round-trip estimates.

A node that resends a request after a fixed timeout either waits far too long
when a message is lost (a 1 s timeout on a network with 5 ms round trips) or
floods a slow peer. TCP settled this long ago (RFC 6298): measure each round
trip, keep a smoothed mean and a mean deviation, and wait the mean plus four
deviations; after a timeout, wait twice as long, up to a cap, until a reply
comes back.

``RoundTrips`` keeps one such estimate per destination. Each copy of a
request carries its own ``msg_id``, so every reply tells which copy it answers
and its round trip is never ambiguous (the problem Karn's rule works around in
TCP); every reply is a sample.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Estimate", "RoundTrips"]

#: RFC 6298's gains for the mean and the deviation, and the deviation's weight.
_ALPHA = 1 / 8
_BETA = 1 / 4
_K = 4


@dataclass(slots=True)
class Estimate:
    """The round-trip estimate for one destination, in seconds.

    ``srtt`` and ``rttvar`` are None until the first sample; ``backoff``
    doubles the wait after each timeout and a sample resets it.
    """

    srtt: float | None = None
    rttvar: float = 0.0
    backoff: int = 0


class RoundTrips:
    """Retransmission timeouts per destination, from the round trips measured.

    ``initial`` is the wait before the first sample (RFC 6298 uses 1 s);
    ``floor`` keeps a run of very fast replies from making the wait shorter
    than a scheduling hiccup; ``cap`` bounds the wait however often timeouts
    back it off.
    """

    def __init__(self, *, initial: float = 1.0, floor: float = 0.02, cap: float = 2.0) -> None:
        if not 0 < floor <= cap:
            raise ValueError(f"need 0 < floor <= cap, got floor={floor}, cap={cap}")
        if initial <= 0:
            raise ValueError(f"initial must be positive, got {initial}")
        self.initial = initial
        self.floor = floor
        self.cap = cap
        self._estimates: dict[str, Estimate] = {}

    def __repr__(self) -> str:
        shown = ", ".join(f"{d}: {self.timeout(d) * 1000:.0f} ms" for d in sorted(self._estimates))
        return f"RoundTrips({shown})"

    def estimate(self, dest: str) -> Estimate:
        """The estimate kept for ``dest`` (a fresh one if none yet)."""
        found = self._estimates.get(dest)
        if found is None:
            found = self._estimates[dest] = Estimate()
        return found

    def timeout(self, dest: str) -> float:
        """How long to wait for ``dest``'s reply before sending again."""
        est = self._estimates.get(dest)
        if est is None:
            return self.initial
        base = self.initial if est.srtt is None else est.srtt + _K * est.rttvar
        # The doubling stops at the cap; a large backoff must not overflow.
        return min(self.cap, max(self.floor, base) * 2.0 ** min(est.backoff, 32))

    def sample(self, dest: str, rtt: float) -> None:
        """A reply from ``dest`` came ``rtt`` seconds after its request left."""
        rtt = max(rtt, 0.0)
        est = self.estimate(dest)
        if est.srtt is None:
            est.srtt, est.rttvar = rtt, rtt / 2
        else:
            est.rttvar = (1 - _BETA) * est.rttvar + _BETA * abs(est.srtt - rtt)
            est.srtt = (1 - _ALPHA) * est.srtt + _ALPHA * rtt
        est.backoff = 0

    def timed_out(self, dest: str) -> None:
        """No reply from ``dest`` within ``timeout(dest)``: wait twice as long next time."""
        est = self.estimate(dest)
        if self.timeout(dest) < self.cap:
            est.backoff += 1
