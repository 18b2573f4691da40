"""The quality notes' `source` label is bounded: a sender cannot grow the series without end."""

from __future__ import annotations

from leadflow.api.metrics import MAX_SOURCES, Metrics


def samples(metrics: Metrics) -> dict[str, float]:
    found = {}
    for line in metrics.render().decode().splitlines():
        if line.startswith("leadflow_quality_notes_total{"):
            labels, value = line.rsplit(" ", 1)
            found[labels] = float(value)
    return found


def test_sources_past_the_first_fifty_are_counted_as_other() -> None:
    metrics = Metrics()
    for i in range(MAX_SOURCES + 30):
        metrics.noted(f"made-up-{i}", ["unreadable_value"])
    metrics.noted("made-up-0", ["unreadable_value"])  # one seen before keeps its own label
    found = samples(metrics)
    assert len(found) == MAX_SOURCES + 1
    assert found['leadflow_quality_notes_total{kind="unreadable_value",source="other"}'] == 30
    assert found['leadflow_quality_notes_total{kind="unreadable_value",source="made-up-0"}'] == 2
