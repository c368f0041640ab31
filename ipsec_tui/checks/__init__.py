"""Pure checks: two peer models in, ordered findings and a diagnosis out."""
