"""What every part of the rewards API shares: request context, scalars, pagination, mutations."""
