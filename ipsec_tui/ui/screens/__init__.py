"""The cockpit's screens: each starts its workers and composes widgets."""
