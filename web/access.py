"""Who may read what: the hook the accounts issue will fill in.

Every review and incident read of the web layer goes through ``web.reads``, and ``web.reads``
passes each one through the functions below. Today there are no accounts, so they let
everything through. When logins arrive, the login layer will put the signed-in user on the
request (``flask.g.user``, never a module-level "current user") and these functions will:

- ``scoped_query``: intersect ``query.entities`` with the user's entity scope (``["*"]`` means
  every entity); a query naming only entities outside the scope must match nothing.
- ``can_see_review`` / ``can_see_incident``: reject a record none of whose entities is in scope
  (the view then answers 404, so a record's existence is not revealed).
- ``scoped_incidents``: add ``WHERE`` conditions on ``Incident.entities`` to a list query.

Nothing in the web layer may read the store or the state DB without going through here.
"""
from __future__ import annotations

from sqlalchemy import Select

from models.review import Review
from models.state import Incident
from models.store import ReviewQuery


def scoped_query(query: ReviewQuery) -> ReviewQuery:
    """Return ``query`` restricted to what the current reader may see (today: unchanged)."""
    return query


def can_see_review(review: Review) -> bool:
    """True when the current reader may see ``review`` (today: always)."""
    return True


def scoped_incidents(statement: Select) -> Select:
    """Return the incident ``statement`` restricted to the current reader (today: unchanged)."""
    return statement


def can_see_incident(incident: Incident) -> bool:
    """True when the current reader may see ``incident`` (today: always)."""
    return True
