"""Renderers: only formatting (rich for people, JSON for scripts, markdown for issues)."""
