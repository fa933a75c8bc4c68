"""What-if simulator: a channel configuration and an order flow, run for a year or more in memory
with the rules of the database path. `python -m saleor_dividend_plugin.simulator --help`."""
