"""Exit statuses, as Jepsen's, and command-line usage errors.

Every ``glomers`` command parses its flags with ``Parser``: a bad flag exits
254 with argparse's one-line message, where argparse alone would exit 2, which
in Jepsen's scheme means "valid: unknown".
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

#: Exit statuses, as Jepsen's: the verdict (valid, invalid, unknown), bad
#: arguments, and a run that cannot be analysed (a crash, an internal error).
EXIT_VALID, EXIT_INVALID, EXIT_UNKNOWN = 0, 1, 2
EXIT_BAD_ARGS, EXIT_ERROR = 254, 255


class Parser(argparse.ArgumentParser):
    """argparse, exiting 254 on a usage error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_ARGS, f"{self.prog}: error: {message}\n")


def port(text: str) -> int:
    """A TCP port number, 0 to 65535 (0: any free one)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, not {text}")
    return value
