"""Every PromQL expression deploy/ ships: dashboard panels, dashboard variables, recording and alerting rules.

    .venv/bin/python deploy/queries.py    # list them, one per line, with where each comes from

tests/unit/test_dashboards.py holds them to the metrics catalogue; tests/integration/test_observability.py
runs each one through a real Prometheus scraping a real worker. Needs PyYAML (a dev dependency).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DEPLOY = Path(__file__).parent
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules"

#: What Grafana puts for its built-in variables when it runs a query (a scrape of 15 s: 4 x 15 s).
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
#: What a variable is set to when an expression is run outside Grafana: "All" (a regex matching anything)
#: for the multi-value ones, the job for $job.
ALL = ".+"


@dataclass(frozen=True)
class Query:
    where: str  # "dashboard brandpulse-crisis, panel 'Incident timeline by brand'", "rule BrandpulseNoPosts"
    expr: str
    kind: str  # "panel", "variable" (label_values(...)), "record", "alert"

    def runnable(self, variables: dict[str, str] | None = None) -> str:
        """The expression with Grafana's variables filled in, as Grafana would send it."""
        values = {"$job": "brandpulse", "$instance": ALL, "$brand": ALL, **BUILTINS, **(variables or {})}
        out = self.expr
        for name in sorted(values, key=len, reverse=True):  # $__rate_interval before $__range...
            out = out.replace(name, values[name])
        return out


def dashboards() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def dashboard_queries() -> list[Query]:
    out = []
    for uid, dash in dashboards().items():
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                out.append(Query(f"dashboard {uid}, panel {panel['title']!r} ({target['refId']})", target["expr"],
                                 "panel"))
        for var in dash["templating"]["list"]:
            if var["type"] == "query":
                out.append(Query(f"dashboard {uid}, variable ${var['name']}", var["query"], "variable"))
    return out


def rule_queries() -> list[Query]:
    out = []
    for path in sorted(RULES.glob("*.rules.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                kind = "alert" if "alert" in rule else "record"
                out.append(Query(f"{kind} {rule.get('alert') or rule.get('record')}", rule["expr"], kind))
    return out


def all_queries() -> list[Query]:
    return dashboard_queries() + rule_queries()


_NAME = re.compile(r"\b((?:brandpulse_|job_|job:)[a-zA-Z0-9_:]*|up)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (brandpulse's, recorded ones, and ``up``)."""
    # Drop label matchers and quoted strings first: a label value may look like a name.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    return set(_NAME.findall(bare))


def grouping_labels(expr: str) -> set[str]:
    """Labels named in ``by (...)`` clauses."""
    return {label.strip() for group in re.findall(r"\bby\s*\(([^)]*)\)", expr) for label in group.split(",")
            if label.strip()}


def label_values_query(expr: str) -> tuple[str, str] | None:
    """``label_values(selector, label)`` -> (selector, label)."""
    m = re.fullmatch(r"label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)", expr.strip())
    return (m.group(1).strip(), m.group(2)) if m else None


if __name__ == "__main__":
    for query in all_queries():
        print(f"{query.where}\n    {query.expr}")
