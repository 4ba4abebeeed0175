"""Room to grow: no contract passes the code-size ceiling we hold it to (deploy/code_size.py)."""

from deploy.code_size import EIP170_LIMIT, ceiling, code_sizes


def test_every_contract_fits_its_code_size_ceiling(suite):
    sizes = code_sizes()
    assert "StockToken" in sizes and "MultiplierScheduleLogic" in sizes
    over = {name: size for name, size in sizes.items() if size > ceiling(name)}
    assert not over, f"over their ceiling: {over}"
    assert ceiling("StockToken") <= 0.85 * EIP170_LIMIT
    assert all(size <= EIP170_LIMIT for size in sizes.values())
