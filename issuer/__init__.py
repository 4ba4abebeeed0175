"""The issuer service: creations and redemptions against the broker, the reserve invariant, the
operator REST API. See issue 4 and DESIGN.md section 5."""
