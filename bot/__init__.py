"""Fact-check desk: the newsroom logic, one package per part of the workflow (see docs/architecture.md)."""
