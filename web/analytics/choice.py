"""Which entities an analytics read is about: named in the request, known to the config and
visible to the reader. An entity outside the reader's scope is refused exactly like an
unknown one, so its existence is not revealed."""
from __future__ import annotations

from models.config import EntityConfig
from web import reads
from web.exceptions import InvalidParameter
from web.security import access


def chosen_entities(ids: tuple[str, ...], minimum: int, maximum: int,
                    parameter: str = "entity") -> list[EntityConfig]:
    """The visible configured entities named by ``ids``, in the order given; between
    ``minimum`` and ``maximum`` of them, else ``InvalidParameter``."""
    visible = {e.id: e for e in access.visible_entities(reads.current_runtime().config.entities)}
    for entity_id in ids:
        if entity_id not in visible:
            raise InvalidParameter(parameter, f"unknown entity {entity_id!r}")
    if not minimum <= len(ids) <= maximum:
        wanted = f"{minimum}" if minimum == maximum else f"{minimum} to {maximum}"
        raise InvalidParameter(parameter, f"choose {wanted} entities, got {len(ids)}")
    return [visible[entity_id] for entity_id in ids]
