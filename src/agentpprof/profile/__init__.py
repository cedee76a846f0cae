"""The profile stage group (docs/architecture.md)."""
