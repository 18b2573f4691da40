"""The routing core: pure functions and dataclasses, no I/O, no clock, no global randomness.

`decide(lead, policy, state, now)` is the whole decision. Live routing, simulation and tests
all call it; only where the state lives differs. `tests/unit/test_core_purity.py` walks the
imports of this package to keep it that way.
"""

from leadflow.core.conditions import Condition, ConditionError, compile_condition
from leadflow.core.decide import Decision, Outcome, assign_held, decide
from leadflow.core.lead import Lead
from leadflow.core.policy import Caps, Member, Period, Policy, Pool, Rep, Rule
from leadflow.core.state import RoutingState

__all__ = [
    "Caps",
    "Condition",
    "ConditionError",
    "Decision",
    "Lead",
    "Member",
    "Outcome",
    "Period",
    "Policy",
    "Pool",
    "Rep",
    "RoutingState",
    "Rule",
    "assign_held",
    "compile_condition",
    "decide",
]
