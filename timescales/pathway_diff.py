"""What changes between two pathways, in words an ops officer reads at a glance.

Pure domain: imports nothing from the project above it, nor prefect, sqlmodel, sqlalchemy or jinja2.

e.g. ``strategy discussion limit 1 -> 3 working days``; ``strategy discussion reminder at -2
removed``. Ladders are compared as each gate sees them (its own ladder or the default), so a change
to the default ladder is listed once for the default and not repeated for every gate using it.
"""

from __future__ import annotations

from timescales.pathway import Escalation, EventMatch, Gate, Ladder, Pathway, Reminder


def _name(gate_id: str) -> str:
    return gate_id.replace("_", " ")


def _wd(n: int) -> str:
    return "1 working day" if n == 1 else f"{n} working days"


def _matches(ms: tuple[EventMatch, ...]) -> str:
    if not ms:
        return "(none)"
    return ", ".join(f"{m.event}" + (f" [{'/'.join(m.outcome)}]" if m.outcome else "") for m in ms)


def _reminder(r: Reminder) -> str:
    return f"reminder at -{r.before_due}"


def _escalation(e: Escalation) -> str:
    return f"escalation at +{e.after_due}"


def ladder_changes(old: Ladder, new: Ladder, who: str) -> list[str]:
    out: list[str] = []
    old_r = {r.before_due: r for r in old.reminders}
    new_r = {r.before_due: r for r in new.reminders}
    for d in sorted(set(old_r) | set(new_r), reverse=True):
        a, b = old_r.get(d), new_r.get(d)
        if b is None and a is not None:
            out.append(f"{who} {_reminder(a)} removed")
        elif a is None and b is not None:
            out.append(f"{who} {_reminder(b)} added (to {b.to}, template {b.template})")
        elif a is not None and b is not None:
            if a.to != b.to:
                out.append(f"{who} {_reminder(a)} recipient {a.to} -> {b.to}")
            if a.template != b.template:
                out.append(f"{who} {_reminder(a)} template {a.template} -> {b.template}")
    old_e = {e.level: e for e in old.escalations}
    new_e = {e.level: e for e in new.escalations}
    for lvl in sorted(set(old_e) | set(new_e)):
        x, y = old_e.get(lvl), new_e.get(lvl)
        if y is None and x is not None:
            out.append(f"{who} escalation level {lvl} ({x.to} at +{x.after_due}) removed")
        elif x is None and y is not None:
            out.append(f"{who} escalation level {lvl} added ({y.to} at +{y.after_due})")
        elif x is not None and y is not None:
            if x.after_due != y.after_due:
                out.append(
                    f"{who} escalation level {lvl} ({y.to}) +{x.after_due} -> +{y.after_due} "
                    "working days after due"
                )
            if x.to != y.to:
                out.append(f"{who} escalation level {lvl} recipient {x.to} -> {y.to}")
            if x.template != y.template:
                out.append(f"{who} escalation level {lvl} template {x.template} -> {y.template}")
    return out


def _gate_changes(old_p: Pathway, new_p: Pathway, a: Gate, b: Gate) -> list[str]:
    n = _name(a.id)
    out: list[str] = []
    if a.limit_working_days != b.limit_working_days:
        out.append(f"{n} limit {a.limit_working_days} -> {_wd(b.limit_working_days)}")
    for attr in ("title", "kind", "stage", "basis", "start_occurrence", "start_after_gate_due"):
        x, y = getattr(a, attr), getattr(b, attr)
        if x != y:
            out.append(f"{n} {attr.replace('_', ' ')} {x!s} -> {y!s}")
    if a.reporting_only != b.reporting_only:
        out.append(f"{n} {'becomes' if b.reporting_only else 'is no longer'} reporting only")
    for attr in ("start", "stop", "cancel"):
        x, y = getattr(a, attr), getattr(b, attr)
        if x != y:
            out.append(f"{n} {attr} events {_matches(x)} -> {_matches(y)}")
    if a.stop_may_precede_start != b.stop_may_precede_start:
        x, y = a.stop_may_precede_start, b.stop_may_precede_start
        out.append(f"{n} stop may precede start {x} -> {y}")
    # compare the ladder the gate actually uses, unless both use the default (listed once)
    if a.ladder is not None or b.ladder is not None:
        out += ladder_changes(old_p.ladder_for(a), new_p.ladder_for(b), n)
    return out


def describe_changes(old: Pathway, new: Pathway) -> list[str]:
    """Every difference between ``old`` and ``new``, one sentence each; empty when equal."""
    out: list[str] = []
    if old.title != new.title:
        out.append(f"title {old.title!r} -> {new.title!r}")
    if old.notify_time != new.notify_time:
        out.append(f"notifications sent at {old.notify_time} -> {new.notify_time} (London)")
    oc, nc = old.calendar, new.calendar
    if (oc.first_year, oc.last_year) != (nc.first_year, nc.last_year):
        out.append(
            f"calendar horizon {oc.first_year}-{oc.last_year} -> {nc.first_year}-{nc.last_year}"
        )
    for d in sorted(set(nc.extra_closures) - set(oc.extra_closures)):
        out.append(f"closure day {d.isoformat()} added")
    for d in sorted(set(oc.extra_closures) - set(nc.extra_closures)):
        out.append(f"closure day {d.isoformat()} removed")
    if oc.working_overrides != nc.working_overrides:
        out.append("calendar working overrides changed")
    if old.closing_events != new.closing_events:
        out.append(
            f"closing events {', '.join(old.closing_events)} -> {', '.join(new.closing_events)}"
        )
    out += ladder_changes(old.ladder, new.ladder, "default ladder")
    old_g = {g.id: g for g in old.gates}
    new_g = {g.id: g for g in new.gates}
    for g in new.gates:
        if g.id not in old_g:
            out.append(f"gate {g.id} added: {g.title} ({g.kind}, {_wd(g.limit_working_days)})")
    for g in old.gates:
        if g.id not in new_g:
            out.append(f"gate {g.id} removed")
        else:
            out += _gate_changes(old, new, g, new_g[g.id])
    if old.stages != new.stages:
        out.append("stages changed")
    if old.stage_rules != new.stage_rules:
        out.append("stage rules changed")
    return out
