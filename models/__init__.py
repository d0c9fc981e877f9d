"""Domain records and persistence: reviews, their stores, config and relational state."""
