"""``python -m glomers`` is the ``glomers`` command."""

from glomers.bench.cli import main

main()
