"""Issuer service (creations, redemptions, corporate actions, operator API): see issue 4."""
