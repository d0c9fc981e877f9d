"""The account roles, apart from ``accounts`` so the command line can offer them without
loading the state database's models."""
ROLES = ("admin", "analyst", "handler")
