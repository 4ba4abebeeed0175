"""Mock self-clearing broker with T+1 settlement: see issue 3."""
