"""The cockpit's widgets: they render snapshots; no I/O, no workers."""
