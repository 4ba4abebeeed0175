"""The operator REST API (``/v1``): auth, idempotent writes, lifecycles, controls, reserves."""
