"""The fleet's tests run the cockpit's `async def` tests the way tests/ui does."""

from tests.ui.conftest import pytest_pyfunc_call

__all__ = ["pytest_pyfunc_call"]
