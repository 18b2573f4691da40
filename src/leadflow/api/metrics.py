"""Prometheus metrics of one app: leads received by door, routed by outcome, time to decide,
and the quality notes put on leads (by source and kind).

Every door a lead comes in by counts it as received: `api` (POST /leads), `intake` (POST
/intake/{source}), `import` (POST /leads/import: the leads added, not a dry run's); `hook` and
`form` (signed vendor webhooks, hosted forms) are declared at zero for the doors to come, so a
dashboard's query over `door` stays the same when they open.

Each app has its own `CollectorRegistry` (not the process-wide default), so that two apps in
one process (tests, a benchmark's bare endpoint beside the real one) count separately and
never register the same name twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from leadflow.service.imports import ImportReport
from leadflow.service.routing import NewLead, Routed

# Routing takes about a millisecond; the top buckets are for a database that is struggling.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
DOORS = ("api", "intake", "import", "hook", "form")
MAX_SOURCES = 50  # distinct `source` labels of the quality notes; the rest count as `other`


class Metrics:
    """The counters and the histogram the API moves, in a registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sources: set[str] = set()  # the source labels given so far (MAX_SOURCES at most)
        self.received = Counter(
            "leadflow_leads_received",
            "Leads taken in and stored, by the door they came in by (a retry is not a new lead).",
            ["door"],
            registry=self.registry,
        )
        for door in DOORS:
            self.received.labels(door=door)
        self.replayed = Counter(
            "leadflow_leads_replayed",
            "Retries answered with the first answer (same Idempotency-Key or external_id).",
            registry=self.registry,
        )
        self.routed = Counter(
            "leadflow_leads_routed",
            "Leads routed on intake, by outcome (assigned, queued, nurture, unassigned, ...).",
            ["outcome"],
            registry=self.registry,
        )
        self.quality_notes = Counter(
            "leadflow_quality_notes",
            "Notes put on leads taken in, by source and kind (unreadable_value: a value a "
            "mapping's transform could not read, left out of the lead's fields).",
            ["source", "kind"],
            registry=self.registry,
        )
        self.decision_seconds = Histogram(
            "leadflow_decision_seconds",
            "Time inside intake: store, decide and commit one lead.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def intake(self, routed: Routed, seconds: float, door: str, new: NewLead | None = None) -> None:
        """Count one lead come in by `door`: a new lead (received, routed, timed, its notes) or
        a replay."""
        if routed.replayed:
            self.replayed.inc()
            return
        self.received.labels(door=door).inc()
        self.routed.labels(outcome=routed.status).inc()
        self.decision_seconds.observe(seconds)
        if new is not None:
            self.noted(new.source, [str(note.get("kind")) for note in new.notes])

    def noted(self, source: str | None, kinds: Iterable[str]) -> None:
        """Count the quality notes put on new leads of `source` (one kind per note).

        A source is a label a sender chooses (with the catch-all `"*"` mapping, any path of
        /intake/{source}; any `?source=` of an import), so the label takes the first
        `MAX_SOURCES` sources seen and `other` after them: a sender cannot grow the series
        without bound.
        """
        label = source or ""
        if label not in self.sources:
            if len(self.sources) >= MAX_SOURCES:
                label = "other"
            else:
                self.sources.add(label)
        for kind in kinds:
            self.quality_notes.labels(source=label, kind=kind).inc()

    def imported(self, report: ImportReport) -> None:
        """Count an import's added leads as received, and the routed ones by outcome."""
        if report.dry_run:
            return
        self.received.labels(door="import").inc(report.added)
        for outcome, count in report.outcomes.items():
            if outcome != "stored":  # kept unrouted (route=false): not routed yet
                self.routed.labels(outcome=outcome).inc(count)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


async def get_metrics(request: Request) -> Metrics:  # async: no thread hop for a lookup
    """The app's metrics, made by `create_app` and kept on the app."""
    metrics: Metrics = request.app.state.metrics
    return metrics
