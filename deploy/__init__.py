"""Brownie scripts (its `scripts` folder): deploy the suite, walk through it, bench gas."""
