"""Creations and redemptions as persisted state machines, one idempotent step at a time."""
