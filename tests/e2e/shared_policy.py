"""The policy the API tests publish (the `policy` fixture), and that some tests vary."""

from __future__ import annotations

# Three reps in a round robin for everybody, and one for big companies.
POLICY = """\
version: 1
timezone: America/New_York
calendars:
  us-east: {hours: {mon-fri: ["09:00-17:00"]}}
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com, calendar: us-east}
  - {id: bob, name: Bob Brown, email: bob@example.com, calendar: us-east}
  - {id: chen, name: Chen Li, email: chen@example.com, calendar: us-east}
  - {id: dana, name: Dana Diaz, email: dana@example.com, calendar: us-east}
pools:
  general:
    strategy: round_robin
    members: [alice, bob, chen]
  enterprise:
    strategy: round_robin
    members: [dana]
    overflow: general
rules:
  - name: enterprise
    when: {employees: {gte: 1000}}
    route: enterprise
fallback: general
"""

# The same team, working every hour of every day (browser tests run on the real clock), with a
# first-touch SLA so that leads have a deadline to count down to.
ALWAYS_OPEN = """\
version: 1
timezone: America/New_York
calendars:
  always: {hours: {daily: ["00:00-24:00"]}}
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com, calendar: always}
  - {id: bob, name: Bob Brown, email: bob@example.com, calendar: always}
  - {id: chen, name: Chen Li, email: chen@example.com, calendar: always}
  - {id: dana, name: Dana Diaz, email: dana@example.com, calendar: always}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
  enterprise: {strategy: round_robin, members: [dana], overflow: general}
sla:
  - {name: default, first_touch: 4h}
rules:
  - name: enterprise
    when: {employees: {gte: 1000}}
    route: enterprise
fallback: general
"""
