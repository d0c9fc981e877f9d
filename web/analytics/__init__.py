"""Brand-team analytics computed from scoped store aggregations (``web.reads``): compare
entities (share of voice), channels (by source or platform, with a significance flag), CX
metrics (CSAT, promoter/detractor index, touchpoints) and hot words. No Flask here beyond
what ``web.reads`` needs; the pages (``web.pages``) and the API (``web.api``) share these."""
