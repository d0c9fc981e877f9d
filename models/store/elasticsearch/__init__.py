"""The scale-out Elasticsearch review store."""
