//! The ticket workflow: which status changes are legal and what each one requires.
//!
//! `new` → `verified` | `invalid`; `verified` → `in_progress` | `invalid`;
//! `in_progress` ↔ `waiting_on_customer`; both → `resolved` (with a resolution);
//! `resolved` → `closed`; `resolved` | `closed` → reopened as `verified` or `in_progress`;
//! `invalid` → `new` (reconsidered) | `closed`.

use crate::model::{Status, Ticket};

/// Why a status change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The workflow has no such step.
    #[error(
        "a {from} ticket cannot move to {to}; from {from} it can move to: {}",
        names(allowed)
    )]
    IllegalTransition {
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
        /// What would have been legal.
        allowed: Vec<Status>,
    },
    /// Resolving needs a resolution text.
    #[error("a resolution is required to resolve a ticket: say what fixed the problem")]
    MissingResolution,
    /// Verifying needs the details that make the problem reproducible.
    #[error("cannot verify yet; still missing: {}", missing.join(", "))]
    NotVerifiable {
        /// The fields still to collect.
        missing: Vec<&'static str>,
    },
}

fn names(statuses: &[Status]) -> String {
    if statuses.is_empty() {
        return "nothing".to_string();
    }
    statuses
        .iter()
        .map(|status| status.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statuses a ticket in `from` may move to.
pub fn allowed_transitions(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        New => &[Verified, Invalid],
        Verified => &[InProgress, Invalid],
        InProgress => &[WaitingOnCustomer, Resolved],
        WaitingOnCustomer => &[InProgress, Resolved],
        Resolved => &[Closed, InProgress, Verified],
        Closed => &[InProgress, Verified],
        Invalid => &[New, Closed],
    }
}

/// What verification still needs: environment, time of occurrence and manner of occurrence.
pub fn missing_for_verification(ticket: &Ticket) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if ticket.environment.trim().is_empty() {
        missing.push("environment");
    }
    if ticket.occurred_at.is_none() {
        missing.push("occurred_at");
    }
    if ticket.manner.trim().is_empty() {
        missing.push("manner");
    }
    missing
}

/// Checks that `ticket` may move to `to`, given the resolution text supplied with the request.
pub fn check_transition(
    ticket: &Ticket,
    to: Status,
    resolution: Option<&str>,
) -> Result<(), WorkflowError> {
    let allowed = allowed_transitions(ticket.status);
    if !allowed.contains(&to) {
        return Err(WorkflowError::IllegalTransition {
            from: ticket.status,
            to,
            allowed: allowed.to_vec(),
        });
    }
    match to {
        Status::Verified if ticket.status == Status::New => {
            let missing = missing_for_verification(ticket);
            if !missing.is_empty() {
                return Err(WorkflowError::NotVerifiable { missing });
            }
        }
        Status::Resolved if resolution.is_none_or(|text| text.trim().is_empty()) => {
            return Err(WorkflowError::MissingResolution);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Scope, TicketRef, Urgency};
    use time::macros::datetime;

    fn ticket(status: Status) -> Ticket {
        Ticket {
            reference: TicketRef::from_number(1).unwrap(),
            title: "Printer offline".into(),
            description: String::new(),
            urgency: Urgency::Medium,
            status,
            channel: Channel::Phone,
            customer: "Ada".into(),
            customer_id: None,
            scope: Scope::External,
            environment: "Windows 11, driver 4.2".into(),
            occurred_at: Some(datetime!(2026-11-28 08:00 UTC)),
            manner: "after the nightly update".into(),
            assignee: None,
            resolution: None,
            resolved_in_release: None,
            created_at: datetime!(2026-11-28 09:00 UTC),
            updated_at: datetime!(2026-11-28 09:00 UTC),
            crash: None,
        }
    }

    #[test]
    fn the_happy_path_from_new_to_closed_is_legal() {
        let path = [
            Status::New,
            Status::Verified,
            Status::InProgress,
            Status::WaitingOnCustomer,
            Status::InProgress,
            Status::Resolved,
            Status::Closed,
        ];
        for step in path.windows(2) {
            let resolution = (step[1] == Status::Resolved).then_some("replaced the cable");
            assert_eq!(
                check_transition(&ticket(step[0]), step[1], resolution),
                Ok(()),
                "{step:?}"
            );
        }
    }

    #[test]
    fn every_transition_outside_the_table_is_refused_with_the_legal_ones_named() {
        for &from in Status::ALL {
            for &to in Status::ALL {
                let result = check_transition(&ticket(from), to, Some("fixed"));
                if allowed_transitions(from).contains(&to) {
                    assert_eq!(result, Ok(()), "{from} -> {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(WorkflowError::IllegalTransition {
                            from,
                            to,
                            allowed: allowed_transitions(from).to_vec()
                        }),
                        "{from} -> {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_new_ticket_cannot_skip_verification() {
        let error = check_transition(&ticket(Status::New), Status::InProgress, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a new ticket cannot move to in_progress; from new it can move to: verified, invalid"
        );
    }

    #[test]
    fn resolving_requires_a_resolution() {
        for resolution in [None, Some(""), Some("   ")] {
            assert_eq!(
                check_transition(&ticket(Status::InProgress), Status::Resolved, resolution),
                Err(WorkflowError::MissingResolution)
            );
        }
    }

    #[test]
    fn verifying_names_every_missing_detail() {
        let mut incomplete = ticket(Status::New);
        incomplete.environment = " ".into();
        incomplete.occurred_at = None;
        incomplete.manner.clear();
        assert_eq!(
            check_transition(&incomplete, Status::Verified, None),
            Err(WorkflowError::NotVerifiable {
                missing: vec!["environment", "occurred_at", "manner"]
            })
        );
        incomplete.environment = "macOS 15".into();
        assert_eq!(
            check_transition(&incomplete, Status::Verified, None),
            Err(WorkflowError::NotVerifiable {
                missing: vec!["occurred_at", "manner"]
            })
        );
    }

    #[test]
    fn resolved_and_closed_tickets_can_be_reopened() {
        for from in [Status::Resolved, Status::Closed] {
            assert_eq!(
                check_transition(&ticket(from), Status::InProgress, None),
                Ok(())
            );
            assert_eq!(
                check_transition(&ticket(from), Status::Verified, None),
                Ok(())
            );
        }
    }
}
