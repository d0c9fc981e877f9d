"""``python -m benchmarks [name ...]``: run the benchmarks and print one table (with no name:
every benchmark but those of ``ON_REQUEST``, which take hours and run only when named)."""
from __future__ import annotations

import sys

from benchmarks import (
    analytics_bench,
    cli_bench,
    crawl_bench,
    detection_bench,
    e2e_bench,
    es_bench,
    failover_bench,
    nlp_bench,
    realistic_bench,
    realistic_curve,
    realistic_misses,
    rules_bench,
    scale_bench,
    spam_bench,
    store_bench,
)
from benchmarks.table import render

BENCHMARKS = {"store": store_bench.run, "nlp": nlp_bench.run,
              "nlp-domains": nlp_bench.run_domains, "nlp-adapt": nlp_bench.run_adapt,
              "nlp-3way": nlp_bench.run_three_way,
              "nlp-hard": nlp_bench.run_hard, "nlp-aspects": nlp_bench.run_aspects,
              "nlp-topics": nlp_bench.run_topics, "crawl": crawl_bench.run,
              "detection": detection_bench.run, "realistic": realistic_bench.run,
              "realistic_curve": realistic_curve.run,
              "realistic_misses": realistic_misses.run,
              "es": es_bench.run, "spam": spam_bench.run, "analytics": analytics_bench.run,
              "failover": failover_bench.run, "scale": scale_bench.run, "cli": cli_bench.run,
              "rules": rules_bench.run, "backtest": rules_bench.run_backtest_speed,
              "e2e": e2e_bench.run}

# realistic_curve replays every stream at six budgets; realistic_misses twice and each burst
ON_REQUEST = {"realistic_curve", "realistic_misses"}


def main(names: list[str]) -> int:
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {sorted(unknown)}; choose from {sorted(BENCHMARKS)}")
        return 2
    figures = []
    for name in names or [n for n in BENCHMARKS if n not in ON_REQUEST]:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        figures += BENCHMARKS[name]()
    print(render(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
