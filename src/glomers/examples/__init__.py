"""Small Maelstrom nodes written with glomers, runnable as ``python -m glomers.examples.<name>``."""
