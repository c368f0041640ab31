"""Errors meant for the operator: a clear message and an exit code, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an environment problem the operator can fix; printed without traceback."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
