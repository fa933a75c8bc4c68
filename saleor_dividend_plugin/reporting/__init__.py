"""What the store owner looks at: the report of a live channel (from its ledger), the forecast of
its next months (the simulator started from its state and fitted to its order flow), and the
report module that draws both and the simulator's runs alike."""
