"""Brand-team analytics computed from scoped store aggregations (``web.reads``): compare
entities (share of voice), channels (by source or platform, with a significance flag), CX
metrics (CSAT, promoter/detractor index, touchpoints) and hot words. ``requested`` reads them
from the query string for the pages (``web.pages.analytics``) and the API
(``web.api.analytics``) alike; the other modules take plain arguments."""
