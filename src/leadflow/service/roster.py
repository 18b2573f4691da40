"""The active policy's reps by id and name: the choices of a form that names a rep (a rep
user, a rep API key) and the names a page shows for rep ids. Read from the compiled policy
the process keeps, so it costs one indexed lookup of the active version."""

from __future__ import annotations

from leadflow.service.context import Services


def rep_names(svc: Services) -> dict[str, str]:
    """Rep id -> name, in the policy's order; empty before a policy is published."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    if policy is None:
        return {}
    return {rep.id: rep.name or rep.id for rep in policy.reps.values()}
