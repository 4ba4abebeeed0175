"""What the broker and the issuer services share: exact decimal and UTC columns and the engine
factory, one problem-details error format, and ASGI body helpers for middleware."""
