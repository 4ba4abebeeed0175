"""Corporate actions carried from the broker onto the token multiplier."""
