"""The sources stage group (docs/architecture.md)."""
