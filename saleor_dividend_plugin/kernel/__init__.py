"""The rules kernel: every rule of DESIGN §5–§8 once, as plain Python over plain values.

No Django, no database, no clock: `state` holds a channel (or the slice of it a unit of work
needs), `events` applies confirmations, refunds, voids, redemptions, conversions, withdrawals,
corrections and the daily settlement to it, and `movements` carries what they post. The simulator
is one shell around it; the store's database path is the other.
"""
