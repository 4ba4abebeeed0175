"""Shareholder votes passed through to the broker (issue: voting rights)."""
