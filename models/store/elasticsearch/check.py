"""What ``koubei store check`` reports about an Elasticsearch store: cluster health, the
template and alias, and documents per monthly index."""
from __future__ import annotations

from models.store.elasticsearch.mapping import TEMPLATE_VERSION
from models.store.elasticsearch.upgrade import pending_upgrades


def cluster_report(store) -> list[tuple[str, str]]:
    """``(label, value)`` lines for ``store`` (an ``ElasticsearchReviewStore``)."""
    client, names = store.client, store.names
    health = client.cluster.health()
    lines = [("server", f"Elasticsearch {store.server} at {store.url}"),
             ("cluster health", f"{health['status']} ({health['number_of_nodes']} nodes)")]
    templates = client.options(ignore_status=404).indices.get_index_template(
        name=names.template).body.get("index_templates", [])
    if templates:
        version = templates[0]["index_template"].get("version")
        state = "current" if version == TEMPLATE_VERSION else f"version {version}, expected " \
                                                               f"{TEMPLATE_VERSION}"
        lines.append(("index template", f"{names.template} ({state})"))
    else:
        lines.append(("index template", f"{names.template} MISSING"))
    rows = client.cat.indices(index=names.pattern, format="json", h="index,docs.count,health")
    lines.append(("read alias", f"{names.alias} -> {len(rows)} monthly indices"))
    for row in sorted(rows, key=lambda r: r["index"]):
        lines.append((f"  {row['index']}", f"{row['docs.count']} docs, {row['health']}"))
    pending = pending_upgrades(store)
    lines.append(("documents to upgrade", f"{pending} (run `koubei store upgrade`)"
                  if pending else "0"))
    lines.append(("spooled on disk", str(store.spool.pending())))
    return lines
