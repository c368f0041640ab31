"""Evidence out: the bundle writer (given an Analysis) and the Markdown/HTML report."""
