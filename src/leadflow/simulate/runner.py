"""`leadflow simulate` as one function: read, replay, write decisions, summarize."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import orjson
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadflow.core.decide import Decision
from leadflow.core.policy import Policy
from leadflow.core.sla import MEETS
from leadflow.imports.accounts import BadAccount, checked, from_row, to_account
from leadflow.imports.csvfile import BadHeader, CsvFile, RowError
from leadflow.policy import load_policy_file
from leadflow.quality.accounts import AccountIndex
from leadflow.simulate.leads import records_touches
from leadflow.simulate.simulator import SimulationError, Simulator
from leadflow.simulate.summary import Summary
from leadflow.simulate.timeline import (
    LeadArrival,
    LeadStatus,
    NotInTimeOrder,
    TimelineItem,
    count_rows,
    read_events,
    timeline,
)

PROGRESS_FROM = 20_000  # rows; smaller inputs finish before a bar is worth drawing


def run_simulation(
    policy_path: Path,
    leads_path: Path,
    events_path: Path | None = None,
    out_path: Path | None = None,
    *,
    progress: bool = False,
    accounts_path: Path | None = None,
) -> Summary:
    """Replay LEADS (and EVENTS) through the policy; stream decisions to `out_path` as JSONL.

    With `accounts_path` (a CSV as `leadflow import accounts` reads it), leads are matched
    to those accounts as live routing matches them.
    """
    policy = load_policy_file(policy_path)
    accounts = read_accounts(accounts_path, policy) if accounts_path is not None else None
    # Only leads that a later event names need their owner remembered: memory then grows
    # with the events, not with the leads.
    named: set[str] = set()
    touches = False  # whether the history records first touches: SLA can be measured
    for item in read_events(events_path, policy.timezone) if events_path else ():
        if isinstance(item, LeadStatus):
            named.add(item.lead_id)
            touches = touches or item.status in MEETS
        elif isinstance(item, LeadArrival) and item.first_touch is not None:
            touches = True
    if policy.sla and not touches:
        touches = records_touches(leads_path)
    track = frozenset(named)
    total = count_rows(leads_path) if progress else None
    # Files are nearly always in time order: stream them as they are, and only if one is not,
    # start over on a timeline sorted on disk. Decisions are deterministic, so a restart
    # rewrites exactly what the first attempt would have.
    for optimistic in (True, False):
        with ExitStack() as stack:
            sink: IO[bytes] | None = None
            if out_path is not None:
                sink = stack.enter_context(out_path.open("wb", buffering=1 << 20))
            simulator = Simulator(
                policy, on_decision=_writer(sink), track=track, touches=touches, accounts=accounts
            )
            items = timeline(leads_path, events_path, policy.timezone, optimistic=optimistic)
            if total is not None and total >= PROGRESS_FROM:
                items = _with_progress(items, total, stack)
            try:
                return simulator.run(items)
            except NotInTimeOrder:
                continue
    raise AssertionError("a sorted timeline never raises NotInTimeOrder")


def read_accounts(path: Path, policy: Policy) -> AccountIndex:
    """The accounts file as a matching index; a bad row is an error naming its line."""
    accounts = []
    try:
        with CsvFile(path) as file:
            for row in file.rows():
                if isinstance(row, RowError):
                    raise SimulationError(f"{path.name} line {row.line}: {row.reason}")
                try:
                    accounts.append(to_account(checked(from_row(row.values))))
                except BadAccount as exc:
                    raise SimulationError(f"{path.name} line {row.line}: {exc}") from None
    except BadHeader as exc:
        raise SimulationError(f"{path.name}: {exc}") from None
    return AccountIndex(accounts, policy.matching.accept, policy.matching.review)


def decision_line(decision: Decision) -> bytes:
    """One line of DECISIONS: the same inputs always give the same bytes."""
    return orjson.dumps(
        {
            "lead_id": decision.lead_id,
            "at": decision.record["at"],
            "outcome": decision.outcome.value,
            "rep": decision.rep,
            "pool": decision.pool,
            "rule": decision.rule,
            "record": decision.record,
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


def _writer(sink: IO[bytes] | None) -> Callable[[Decision], None]:
    if sink is None:
        return lambda decision: None
    write = sink.write

    def on_decision(decision: Decision) -> None:
        write(decision_line(decision))

    return on_decision


def _with_progress(
    items: Iterator[TimelineItem], total: int, stack: ExitStack
) -> Iterator[TimelineItem]:
    bar = stack.enter_context(
        Progress(
            TextColumn("simulating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
    )
    task = bar.add_task("leads", total=total)
    done = 0
    for item in items:
        yield item
        if isinstance(item, LeadArrival):
            done += 1
            if done % 4096 == 0:
                bar.update(task, completed=done)
    bar.update(task, completed=done)
