"""Issue 13: a SPOC exists only through the SPOC protocol; legal remedies carry their court dates.

Schema: formal_action gains court_reference, proceedings_issued_on, hearing_on and order_on (an
injunction, demotion of tenancy or possession proceedings is recorded with its court dates).

Data: a "single point of contact" imposed as an ordinary formal action (before issue 13) never
went through the DMO, the SPOC review meeting or the register (clause 5). Each one still active is
ended as a formal action, so no contractor sees an unapproved SPOC, and flagged for the Data
Management Officer as a pending SPOC request (with the decision's evidence and the original terms
in its reason), unless the customer already has a SPOC on the register or a request waiting, in
which case the register's SPOC is the one in force. The DMO then approves it at a review meeting
(it goes on the register) or rejects it (nothing remains).

Revision ID: 0007 (the lead re-chains revision ids when merging)
Revises: 0010
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None

formal_action = sa.table(
    "formal_action",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("stage_event_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("terms", sa.Text),
    sa.column("status", sa.String),
    sa.column("ended_on", sa.Date),
    sa.column("ended_reason", sa.Text),
)
case_file = sa.table("case_file", sa.column("id", sa.Integer), sa.column("customer_id", sa.Integer))
stage_event = sa.table("stage_event", sa.column("id", sa.Integer), sa.column("decided_by_id", sa.Integer))
stage_event_incident = sa.table(
    "stage_event_incident", sa.column("stage_event_id", sa.Integer), sa.column("incident_id", sa.Integer)
)
spoc_request = sa.table(
    "spoc_request",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("customer_id", sa.Integer),
    sa.column("requested_by_id", sa.Integer),
    sa.column("requested_at", sa.DateTime),
    sa.column("reason", sa.Text),
    sa.column("status", sa.String),
    sa.column("attendees", sa.Text),
    sa.column("discussion", sa.Text),
    sa.column("decision_reason", sa.Text),
)
spoc_request_incident = sa.table(
    "spoc_request_incident", sa.column("spoc_request_id", sa.Integer), sa.column("incident_id", sa.Integer)
)
spoc_entry = sa.table(
    "spoc_entry",
    sa.column("id", sa.Integer),
    sa.column("customer_id", sa.Integer),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("formal_action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("court_reference", sa.String(length=60), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("proceedings_issued_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("hearing_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("order_on", sa.Date(), nullable=True))
    _move_spoc_actions_to_the_protocol(op.get_bind())


def _covered(bind, customer_id: int) -> bool:
    """The customer already has a SPOC on the register or a request waiting for the DMO."""
    entry = bind.execute(
        sa.select(spoc_entry.c.id)
        .where(spoc_entry.c.customer_id == customer_id, spoc_entry.c.status == "active")
        .limit(1)
    ).first()
    waiting = bind.execute(
        sa.select(spoc_request.c.id)
        .where(spoc_request.c.customer_id == customer_id, spoc_request.c.status == "pending")
        .limit(1)
    ).first()
    return entry is not None or waiting is not None


def _move_spoc_actions_to_the_protocol(bind) -> None:
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = bind.execute(
        sa.select(
            formal_action.c.id,
            formal_action.c.case_id,
            formal_action.c.stage_event_id,
            formal_action.c.terms,
            case_file.c.customer_id,
            stage_event.c.decided_by_id,
        )
        .join(case_file, case_file.c.id == formal_action.c.case_id)
        .join(stage_event, stage_event.c.id == formal_action.c.stage_event_id)
        .where(formal_action.c.kind == "spoc", formal_action.c.status == "active")
        .order_by(formal_action.c.id)
    ).all()
    for row in rows:
        if _covered(bind, row.customer_id):
            note = (
                "Moved to the SPOC protocol (migration 0007): the customer's SPOC is on the register "
                "or awaits the DMO."
            )
        else:
            bind.execute(
                spoc_request.insert().values(
                    case_id=row.case_id,
                    customer_id=row.customer_id,
                    requested_by_id=row.decided_by_id,
                    requested_at=now,
                    status="pending",
                    attendees="",
                    discussion="",
                    decision_reason="",
                    reason=(
                        f"Carried over from formal action #{row.id}, a single point of contact imposed before "
                        f"the SPOC protocol applied (terms: {row.terms or 'none recorded'}). For the Data "
                        "Management Officer to consider at a SPOC review meeting (clause 5)."
                    ),
                )
            )
            request_id = bind.execute(
                sa.select(sa.func.max(spoc_request.c.id)).where(spoc_request.c.customer_id == row.customer_id)
            ).scalar_one()
            evidence = (
                bind.execute(
                    sa.select(stage_event_incident.c.incident_id).where(
                        stage_event_incident.c.stage_event_id == row.stage_event_id
                    )
                )
                .scalars()
                .all()
            )
            for incident_id in evidence:
                bind.execute(
                    spoc_request_incident.insert().values(spoc_request_id=request_id, incident_id=incident_id)
                )
            note = f"Moved to the SPOC protocol (migration 0007): request #{request_id} awaits the DMO's decision."
        bind.execute(
            formal_action.update()
            .where(formal_action.c.id == row.id)
            .values(status="ended", ended_on=today, ended_reason=note)
        )


def downgrade() -> None:
    # The SPOC requests made above stay: they are real requests for the DMO from then on.
    with op.batch_alter_table("formal_action", schema=None) as batch_op:
        batch_op.drop_column("order_on")
        batch_op.drop_column("hearing_on")
        batch_op.drop_column("proceedings_issued_on")
        batch_op.drop_column("court_reference")
