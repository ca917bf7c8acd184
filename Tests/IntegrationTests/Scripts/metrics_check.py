#!/usr/bin/env python3
"""Parses Prometheus text from standard input with prometheus_client's own parser (which
refuses a line it cannot read), checks the naming rules, and prints one line per sample:
name, labels as k=v joined by commas, value. Exits 1 with the reason when something is off."""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as error:  # the parser's own error, with the line it refused
    print(f"unparsable: {error}", file=sys.stderr)
    sys.exit(1)
for family in families:
    if not family.name.startswith("nameindex_"):
        print(f"{family.name}: not prefixed nameindex_", file=sys.stderr)
        sys.exit(1)
    if not family.documentation:
        print(f"{family.name}: no HELP", file=sys.stderr)
        sys.exit(1)
    for sample in family.samples:
        if family.type == "counter" and not sample.name.endswith(("_total", "_created")):
            print(f"{sample.name}: a counter without _total", file=sys.stderr)
            sys.exit(1)
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print(f"{family.type} {sample.name} {labels} {sample.value}")
