"""``slow``, beyond Maelstrom: every message's latency times ten while active.
It shares its stream with loss: each operation flips one of the two."""

from __future__ import annotations

import random
from typing import Any

from glomers.bench.faults.base import NetworkFault
from glomers.bench.faults.loss import Loss


class Slow(NetworkFault):
    """Multiplies the network's latency by ten."""

    name = "slow"
    stream = Loss.stream
    begins = "start-slow"
    ends = "stop-slow"
    label = "slow"
    color = "#E0C080"
    heal_rank = 4

    def ask(self, rng: random.Random) -> Any:
        return 10

    async def start(self, value: Any, rng: random.Random) -> Any:
        self.stage.net.slow = True
        return "latency x10"

    async def stop(self) -> Any:
        self.stage.net.slow = False
        return "latency x1"
