"""The whole stack on one machine: anvil, the deployed suite, the broker and the issuer."""
