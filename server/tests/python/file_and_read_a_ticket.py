"""Files and reads a ticket with a client that openapi-python-client generated from the served
OpenAPI document (tests/generated_client.rs generates it and runs this).

Usage: python file_and_read_a_ticket.py BASE_URL TOKEN

The generated models parse every answer strictly (an enum value the document does not name, a
missing required field, a wrong type raise), so an answer that disagrees with the document fails
here. Prints one JSON line of what it saw, for the Rust test to check.
"""

import json
import sys

from helpdesk_client import AuthenticatedClient
from helpdesk_client.api.tickets import (
    add_entry,
    create_ticket,
    get_ticket,
    list_tickets,
    transition,
    update_ticket,
)
from helpdesk_client.models import (
    Channel,
    Entry,
    EntryKind,
    ErrorBody,
    NewEntry,
    NewTicket,
    Outcome,
    Status,
    Ticket,
    TicketDetail,
    TicketPage,
    TicketPatch,
    TransitionRequest,
    Urgency,
)


def expect(kind, answer, what):
    if not isinstance(answer.parsed, kind):
        raise SystemExit(
            f"{what}: expected {kind.__name__}, got {answer.status_code} {answer.content!r}"
        )
    return answer.parsed


def main():
    base_url, token = sys.argv[1], sys.argv[2]
    # An answer with a status the document does not list raises.
    client = AuthenticatedClient(
        base_url=base_url, token=token, raise_on_unexpected_status=True
    )
    with client:
        created = expect(
            Ticket,
            create_ticket.sync_detailed(
                client=client,
                body=NewTicket(
                    title="Payroll export hangs",
                    customer="Grace Hopper",
                    urgency=Urgency.HIGH,
                    channel=Channel.PHONE,
                    environment="Windows 11, client 4.2",
                    occurred_at="2026-11-28T08:15:00Z",
                    manner="while exporting the monthly payroll",
                ),
            ),
            "create",
        )
        reference = created.reference
        expect(
            Ticket,
            update_ticket.sync_detailed(reference, client=client, body=TicketPatch()),
            "an empty patch",
        )
        expect(
            Entry,
            add_entry.sync_detailed(
                reference,
                client=client,
                body=NewEntry(
                    kind=EntryKind.ATTEMPT,
                    body="Restarted the export service",
                    outcome=Outcome.FAILED,
                ),
            ),
            "an attempt",
        )
        verified = expect(
            Ticket,
            transition.sync_detailed(
                reference, client=client, body=TransitionRequest(to=Status.VERIFIED)
            ),
            "verify",
        )
        detail = expect(TicketDetail, get_ticket.sync_detailed(reference, client=client), "show")
        page = expect(TicketPage, list_tickets.sync_detailed(client=client, urgency=Urgency.HIGH), "list")
        missing = expect(ErrorBody, get_ticket.sync_detailed("TCK-999999", client=client), "a missing ticket")
        refused = expect(
            ErrorBody,
            create_ticket.sync_detailed(client=client, body=NewTicket(title=" ", customer="Ada")),
            "a blank title",
        )
    print(
        json.dumps(
            {
                "reference": reference,
                "urgency": created.urgency.value,
                "channel": created.channel.value,
                "status": verified.status.value,
                "title": detail.title,
                "entries": [entry.kind.value for entry in detail.entries],
                "listed": [ticket.reference for ticket in page.items],
                "missing": missing.error.code,
                "refused": [refused.error.code, refused.error.field],
            }
        )
    )


main()
