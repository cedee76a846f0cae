"""The output stage group (docs/architecture.md)."""
