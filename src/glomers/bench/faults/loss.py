"""``loss``, beyond Maelstrom: drop a fraction of the messages that involve no
client while active (``--loss-rate``)."""

from __future__ import annotations

import random
from typing import Any

from glomers.bench.faults.base import NetworkFault


class Loss(NetworkFault):
    """Drops messages between non-clients at the test's loss rate."""

    name = "loss"
    stream = "beyond-maelstrom"
    begins = "start-loss"
    ends = "stop-loss"
    label = "loss"
    color = "#8FD18F"
    heal_rank = 3
    options = ("loss_rate",)

    def ask(self, rng: random.Random) -> Any:
        return self.stage.loss_rate

    async def start(self, value: Any, rng: random.Random) -> Any:
        self.stage.net.loss = self.stage.loss_rate
        return f"dropping {self.stage.loss_rate:.0%} of messages between non-clients"

    async def stop(self) -> Any:
        self.stage.net.loss = 0.0
        return "no loss"
