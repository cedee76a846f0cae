"""The tagging stage group (docs/architecture.md)."""
