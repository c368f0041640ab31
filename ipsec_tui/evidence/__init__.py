"""Evidence bundles and redaction."""
