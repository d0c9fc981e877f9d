"""Who may read and do what: roles per endpoint, and the reader's brand/entity scope.

The signed-in account is on the request as ``flask.g.user`` (``web.security.accounts.Account``; set by
``web.security.auth``), never in a module-level "current user".

Roles (``PERMISSIONS``): every role reads (feed, trends, reviews, incidents, in scope);
every role may correct the sentiment label of a review it can see (``label``);
``handler`` and ``admin`` act on incidents; ``analyst`` and ``admin`` export and edit rules
(``configure``; analysts only the rules of their brands); only ``admin`` manages users, edits
entities and reads the audit log. Each view declares the permission it needs beside its route::

    @bp.get("/trends")
    @access.permission("read")
    def index(): ...

and the gate (``web.security.auth``) looks it up by endpoint (``required``). A view without a
declaration answers 404, so a new route cannot be reachable by accident; a test checks that
every route is declared and every declared view is routed.

Scope: a user's ``entities`` (``["*"]`` = every entity) plus the products whose ``parent`` is
one of them. ``scoped_query`` narrows a review query to it; ``can_see_review`` /
``can_see_incident`` reject a record none of whose entities is in scope (views then answer
404, so the record's existence is not revealed). Nothing in the web layer reads the store or
the state DB without going through here (see ``web.reads``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable, TypeVar

from flask import current_app, g, has_request_context

from models.review import Review
from models.state import Incident
from models.store import ReviewQuery

PERMISSIONS = {
    "read": {"admin", "analyst", "handler"},
    "act": {"admin", "handler"},
    "export": {"admin", "analyst"},
    "admin": {"admin"},
    "account": {"admin", "analyst", "handler"},  # one's own password and tokens
    "label": {"admin", "analyst", "handler"},  # correct a visible review's sentiment
    "configure": {"admin", "analyst"},  # edit rules (analysts: those of their brands)
}
PUBLIC = "public"  # needs no sign-in
_DECLARED = "required_permission"  # the attribute ``permission`` sets on a view
View = TypeVar("View", bound=Callable)

# A valid NAME_PATTERN never starts with NUL, so no review can carry this entity: a query
# restricted to it matches nothing.
NO_ENTITY = "\x00none"


def permission(needed: str) -> Callable[[View], View]:
    """Decorator declaring that a view needs ``needed`` (a ``PERMISSIONS`` key or ``PUBLIC``).
    Returns the view itself, marked with the permission for ``required`` to find through
    ``app.view_functions``; raises ``ValueError`` for an unknown permission, at import."""
    if needed != PUBLIC and needed not in PERMISSIONS:
        raise ValueError(f"unknown permission {needed!r}; expected {PUBLIC!r} or one of "
                         f"{', '.join(PERMISSIONS)}")

    def declare(view: View) -> View:
        setattr(view, _DECLARED, needed)
        return view
    return declare


def declared(view: Callable | None) -> str | None:
    """The permission ``view`` was declared with; None for an undeclared one."""
    return getattr(view, _DECLARED, None)


def required(endpoint: str | None) -> str | None:
    """The permission the current app's view for ``endpoint`` needs; None for an unknown
    endpoint or an undeclared view (refused)."""
    return declared(current_app.view_functions.get(endpoint or ""))


def allowed(role: str, needed: str) -> bool:
    return role in PERMISSIONS.get(needed, ())


def _user():
    return g.get("user") if has_request_context() else None


def scope() -> frozenset[str] | None:
    """The entity ids the reader may see; None for every entity. Worked out once per
    request (views check many records against it)."""
    user = _user()
    if user is None or "*" in user.entities:
        return None
    cached = g.get("_scope")
    if cached is not None and cached[0] is user:
        return cached[1]
    g._scope = (user, scope_of(user.entities))
    return g._scope[1]


def scope_of(entities: Iterable[str]) -> frozenset[str] | None:
    """The entity ids a user with ``entities`` may see (their products included); None for
    every entity."""
    own = set(entities)
    if "*" in own:
        return None
    for entity in current_app.extensions["koubei"].config.entities:
        if entity.parent in own:
            own.add(entity.id)
    return frozenset(own)


def may_handle(role: str, entities: Iterable[str], incident: Incident) -> bool:
    """Whether a user of ``role`` and ``entities`` could act on ``incident``: their scope
    covers every one of its brands (an incident is assigned only to such a user)."""
    allowed_ids, wanted = scope_of(entities), set(incident.entities or ())
    return allowed(role, "act") and (allowed_ids is None or (bool(wanted)
                                                             and wanted <= allowed_ids))


def may_handle_entities(role: str, entities: Iterable[str], record_entities: Iterable[str]) -> bool:
    """Whether a user of ``role`` and ``entities`` could see and act on a review about
    ``record_entities`` (one of them in their scope, as for reading it)."""
    allowed_ids = scope_of(entities)
    return allowed(role, "act") and (allowed_ids is None
                                     or bool(allowed_ids & set(record_entities)))


def in_scope(entities: Iterable[str]) -> bool:
    allowed_ids = scope()
    return allowed_ids is None or bool(allowed_ids & set(entities or ()))


def in_full_scope(entities: Iterable[str]) -> bool:
    """Whether every one of ``entities`` is in the reader's scope (and there is one): what
    acting on a record that concerns several brands takes."""
    allowed_ids, wanted = scope(), set(entities or ())
    return allowed_ids is None or (bool(wanted) and wanted <= allowed_ids)


def scoped_query(query: ReviewQuery) -> ReviewQuery:
    """``query`` restricted to the reader's scope; naming only entities outside it matches
    nothing."""
    allowed_ids = scope()
    if allowed_ids is None:
        return query
    wanted = ([e for e in query.entities if e in allowed_ids] if query.entities
              else sorted(allowed_ids))
    return replace(query, entities=tuple(wanted) or (NO_ENTITY,))


def can_see_review(review: Review) -> bool:
    return in_scope(review.entities)


def can_see_incident(incident: Incident) -> bool:
    return in_scope(incident.entities)


def visible_entities(entities: Iterable) -> list:
    """The configured entities (``EntityConfig``) the reader may see, for filter menus."""
    allowed_ids = scope()
    return [e for e in entities if allowed_ids is None or e.id in allowed_ids]
