"""Text in, model out: TTP templates per platform and command."""
