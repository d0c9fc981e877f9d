"""Which entities an analytics read is about: named in the request, known to the config and
visible to the reader. A name the reader cannot see is passed over exactly like an unknown
one, so an entity's existence is never revealed; when fewer than a view needs remain, the
reader's first visible entities (in config order) make up the number, as the pages do."""
from __future__ import annotations

from models.config import EntityConfig
from web import reads
from web.exceptions import InvalidParameter
from web.security import access


def chosen_entities(ids: tuple[str, ...], minimum: int, maximum: int,
                    parameter: str = "entity") -> list[EntityConfig]:
    """The visible configured entities named by ``ids`` (in the order given, at most
    ``maximum``), made up to ``minimum`` from the reader's visible entities; a reader who sees
    none gets ``InvalidParameter``."""
    visible = {e.id: e for e in access.visible_entities(reads.current_runtime().config.entities)}
    chosen = list(dict.fromkeys(i for i in ids if i in visible))[:maximum]
    chosen += [i for i in visible if i not in chosen][:max(0, minimum - len(chosen))]
    if not chosen:
        raise InvalidParameter(parameter, "no entity in your scope to show")
    return [visible[entity_id] for entity_id in chosen]
