"""Blueprints of the JSON API (every ``/api`` route)."""
