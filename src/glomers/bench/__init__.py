"""The bench: a Maelstrom-compatible test harness (``glomers test``).

It runs node programs under a simulated network with Maelstrom's services,
workloads, faults and checkers. Its core (network, services, workloads, nemesis,
checkers) is written against an injected clock and transport, so the same code
drives real processes in real time and in-process nodes in virtual time.
"""
