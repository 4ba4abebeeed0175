"""Brownie scripts (brownie's `scripts` folder): deploy the token suite, walk through it, bench gas."""
