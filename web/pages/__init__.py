"""Blueprints that render pages."""
