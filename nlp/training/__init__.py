"""Training and measuring the sentiment model (never imported at serve time)."""
