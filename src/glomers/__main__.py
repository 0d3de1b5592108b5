"""``python -m glomers`` is the ``glomers`` command."""

from glomers._cli import main

main()
