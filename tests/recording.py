"""A notifier for tests: it keeps every delivery it is asked to send, and can be told to fail.

A fake at the worker's boundary (the `Notifier`'s `send` and `close`), so that the worker,
its claims, retries and records run for real while nothing leaves the process.
"""

from __future__ import annotations

from leadflow.notify import Delivery, DeliveryError


class RecordingNotifier:
    def __init__(self) -> None:
        self.tries: list[Delivery] = []  # every try, failed or not
        self.sent: list[Delivery] = []  # the tries that succeeded
        self.failure: DeliveryError | None = None  # set: every try fails with it

    def send(self, delivery: Delivery) -> None:
        self.tries.append(delivery)
        if self.failure is not None:
            raise self.failure
        self.sent.append(delivery)

    def close(self) -> None:
        pass

    def to(self, event: str) -> list[str | None]:
        """Who got messages of `event`, in order: a rep id, else an email address."""
        return [d.recipient.rep_id or d.recipient.email for d in self.sent if d.event == event]
