"""How long to wait for a reply before sending a request again: round-trip estimates.

A node that resends a request after a fixed timeout either waits far too long
when a message is lost (a 1 s timeout on a network with 5 ms round trips) or
floods a slow peer. TCP settled this long ago (RFC 6298): measure each round
trip, keep a smoothed mean and a mean deviation, and wait the mean plus four
deviations; after a timeout, wait twice as long, up to a cap, until a reply
comes back.

Unlike TCP's one stream, a node has many requests out at once, so the doubling
belongs to each request (its ``attempt``), not to the destination: one lost
message must not slow every other request to the same service.

``RoundTrips`` keeps one such estimate per destination. Each copy of a
request carries its own ``msg_id``, so every reply tells which copy it answers
and its round trip is never ambiguous (the problem Karn's rule works around in
TCP); every reply is a sample.

Doubling protects a peer that is slow because it is overloaded. A destination
that extra copies cannot overload (a Maelstrom service answers at once, and a
partition never cuts it off) can be *hedged* instead, as gRPC's hedging policy
does: after the first timeout, a burst of copies goes out a fraction of the
timeout apart, so that on a lossy network one gets through soon. The burst is
bounded, and the waits double after it, so a destination that is slow rather
than lossy costs at most that many extra copies per request.
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
    """The round-trip estimate for one destination, in seconds (``srtt`` is
    None until the first sample), and how many times the wait may double for
    it (None: ``RoundTrips.doublings``)."""

    srtt: float | None = None
    rttvar: float = 0.0
    doublings: int | None = None
    #: Hedging (None: none): after the first timeout, the next ``burst`` copies
    #: go out ``spacing`` times the timeout apart, without doubling.
    spacing: float | None = None
    burst: int = 0


class RoundTrips:
    """Retransmission timeouts per destination, from the round trips measured.

    ``initial`` is the wait before the first sample (RFC 6298 uses 1 s);
    ``floor`` keeps a run of very fast replies from making the wait shorter
    than a scheduling hiccup. Each unanswered copy of a request doubles the
    wait for the next, ``doublings`` times at most (a lost message is more
    often bad luck than a sign of overload), and never beyond ``cap``.
    """

    def __init__(
        self,
        *,
        initial: float = 0.25,
        floor: float = 0.005,
        cap: float = 2.0,
        doublings: int = 3,
    ) -> None:
        if not 0 < floor <= cap:
            raise ValueError(f"need 0 < floor <= cap, got floor={floor}, cap={cap}")
        if initial <= 0:
            raise ValueError(f"initial must be positive, got {initial}")
        if doublings < 0:
            raise ValueError(f"doublings must be 0 or more, got {doublings}")
        self.initial = initial
        self.floor = floor
        self.cap = cap
        self.doublings = doublings
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

    def timeout(self, dest: str, attempt: int = 0) -> float:
        """How long to wait for ``dest``'s reply to the ``attempt``-th copy of a
        request (0 for the first) before sending another."""
        est = self._estimates.get(dest)
        base = self.initial if est is None or est.srtt is None else est.srtt + _K * est.rttvar
        base = max(self.floor, base)
        if est is not None and est.spacing is not None and 0 < attempt <= est.burst:
            return min(self.cap, max(self.floor, base * est.spacing))
        doublings = self.doublings if est is None or est.doublings is None else est.doublings
        return min(self.cap, base * 2.0 ** min(attempt, doublings))

    def sample(self, dest: str, rtt: float) -> None:
        """A reply from ``dest`` came ``rtt`` seconds after its request left."""
        rtt = max(rtt, 0.0)
        est = self.estimate(dest)
        if est.srtt is None:
            est.srtt, est.rttvar = rtt, rtt / 2
        else:
            est.rttvar = (1 - _BETA) * est.rttvar + _BETA * abs(est.srtt - rtt)
            est.srtt = (1 - _ALPHA) * est.srtt + _ALPHA * rtt
