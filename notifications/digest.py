"""The daily team digest email: clocks overdue and due in the next 5 working days.

Pseudonymous by construction: journey references, gates, dates, statuses and staff ids only.
Imports jinja2 and the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jinja2 import Environment, StrictUndefined, select_autoescape

from notifications.render import RenderedMessage


@dataclass(frozen=True)
class DigestLine:
    journey_ref: str
    gate: str
    due_on: date
    status: str
    worker: str | None


_TEXT = """Team {{ team }}: clocks as of {{ as_of }}

Overdue: {{ overdue | length }}
{% for l in overdue %}  {{ l.journey_ref }}  {{ l.gate }}  due {{ l.due_on }}  \
worker {{ l.worker or "-" }}
{% endfor %}
Due in the next 5 working days: {{ due | length }}
{% for l in due %}  {{ l.journey_ref }}  {{ l.gate }}  due {{ l.due_on }}  \
worker {{ l.worker or "-" }}
{% endfor %}{% if url %}
The team view: {{ url }}/team
{% endif %}"""

_HTML = """<h1>Team {{ team }}: clocks as of {{ as_of }}</h1>
{% for title, lines in [("Overdue", overdue), ("Due in the next 5 working days", due)] %}
<h2>{{ title }} ({{ lines | length }})</h2>
<table><tr><th>Journey</th><th>Gate</th><th>Due</th><th>Worker</th></tr>
{% for l in lines %}<tr><td>{{ l.journey_ref }}</td><td>{{ l.gate }}</td>
<td>{{ l.due_on }}</td><td>{{ l.worker or "-" }}</td></tr>
{% endfor %}</table>{% endfor %}
{% if url %}<p><a href="{{ url }}/team">The team view</a></p>{% endif %}"""

_HTML_ENV = Environment(undefined=StrictUndefined, autoescape=select_autoescape(default=True))
_TEXT_ENV = Environment(undefined=StrictUndefined, autoescape=False)


def render_digest(
    team: str, as_of: date, lines: list[DigestLine], dashboard_url: str | None
) -> RenderedMessage:
    overdue = [x for x in lines if x.status == "overdue"]
    due = [x for x in lines if x.status != "overdue"]
    ctx = {"team": team, "as_of": as_of, "overdue": overdue, "due": due, "url": dashboard_url}
    subject = f"frontdoor digest {as_of.isoformat()}: team {team}, {len(overdue)} overdue, " + (
        f"{len(due)} due in 5 working days"
    )
    return RenderedMessage(
        subject=subject,
        text=_TEXT_ENV.from_string(_TEXT).render(ctx),
        html=_HTML_ENV.from_string(_HTML).render(ctx),
    )
