"""The faults the nemesis injects, one module each, and their registry.

``FAULTS`` maps each fault's name to its class (see ``base``); importing this
package registers the five the bench has, Maelstrom's (partition, kill, pause)
first, then ours (loss, slow). A new fault is a ``Fault`` subclass passed to
``register``: the nemesis, the history, the progress panel and every page pick
it up from there.
"""

from __future__ import annotations

from glomers.bench.faults.base import (
    FAULTS,
    LATER,
    MAELSTROM,
    NODE_SPECS,
    UNKNOWN_COLOR,
    Fault,
    HostFault,
    NetworkFault,
    Stage,
    Step,
    by_operation,
    color,
    label,
    majority,
    random_spec,
    register,
    spec_nodes,
    words,
)
from glomers.bench.faults.kill import Kill
from glomers.bench.faults.loss import Loss
from glomers.bench.faults.partition import Partition
from glomers.bench.faults.pause import Pause
from glomers.bench.faults.slow import Slow
from glomers.bench.hosts import Host

# The order of registration is the order of the streams (each stream draws its
# own generator in turn) and of the choices within one: it fixes what a seed does.
for _fault in (Partition, Kill, Pause, Loss, Slow):
    register(_fault)

__all__ = [
    "FAULTS",
    "LATER",
    "MAELSTROM",
    "NODE_SPECS",
    "UNKNOWN_COLOR",
    "Fault",
    "Host",
    "HostFault",
    "Kill",
    "Loss",
    "NetworkFault",
    "Partition",
    "Pause",
    "Slow",
    "Stage",
    "Step",
    "by_operation",
    "color",
    "label",
    "majority",
    "random_spec",
    "register",
    "spec_nodes",
    "words",
]
