"""Detection: rule types and what they read (baselines, calendar), explanation, backtest."""
