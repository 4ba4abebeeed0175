"""Build helpers: the offline solc-js bridge for brownie and py-solc-x."""
