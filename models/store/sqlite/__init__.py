"""The embedded SQLite review store."""
