"""ispc-acme: what a third party ships (docs/plugin-authors.md walks through it)."""
