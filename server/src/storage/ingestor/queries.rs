//! The queries of the crash-report writer: reading what a batch concerns, and the transaction
//! that stores it, assembled from the parts the batch needs (less to parse).

pub(super) const READ_STATE: &str = r#"
LET $groups = (SELECT record::id(id) AS key, ticket_number FROM array::map($group_keys, |$key| type::record('crash_group', $key)) WHERE id != NONE);
SELECT record::id(id) AS key, ticket_number FROM array::map($receipt_keys, |$key| type::record('crash_receipt', $key)) WHERE id != NONE;
SELECT number, status, urgency, resolved_in_release, occurrences, revision, entry_count, <string>created_at AS created_at FROM array::map($groups.ticket_number, |$number| type::record('ticket', $number));
RETURN $groups;
"#;

/// When a project first knew each of some releases (`$release_keys`: [project, name] pairs);
/// releases it never knew are left out.
pub(super) const READ_RELEASE_TIMES: &str = r#"
SELECT record::id(id) AS key, <string>first_seen AS first_seen FROM array::map($release_keys, |$key| type::record('crash_release', $key)) WHERE id != NONE;
"#;

/// Every release a batch's reports name becomes known to its project now, unless it was known
/// before.
const RECORD_RELEASES: &str = r#"
INSERT IGNORE INTO crash_release array::map($releases_seen, |$key| { id: type::record('crash_release', $key), first_seen: <datetime>$now });
"#;

/// The events, receipts and new users of a known problem's reports and its count for the hour,
/// each written with one statement; after `$updated` holds the updated ticket.
const RECORD_REPORTS: &str = r#"
    LET $before = $updated[0].occurrences - $group.count;
    LET $kept_reports = array::filter($group.reports, |$report| $report.payload != NONE AND $before + $report.offset <= $kept);
    INSERT INTO crash_event array::map($kept_reports, |$report| {
        id: type::record('crash_event', [$group.number, $before + $report.offset]),
        ticket_number: $group.number,
        sequence: $before + $report.offset,
        event_id: $report.event_id,
        received_at: <datetime>$now,
        payload: $payloads[$report.payload]
    });
    INSERT INTO crash_receipt array::map($group.reports, |$report| {
        id: type::record('crash_receipt', [$report.project, $report.event_id]),
        ticket_number: $group.number,
        received_at: <datetime>$now
    });
    UPSERT type::record('crash_hour', [$group.number, $hour]) SET
        ticket_number = $group.number, hour = $hour, count = (count OR 0) + $group.count;
    INSERT INTO crash_user array::map($new_users, |$user| {
        id: type::record('crash_user', [$group.number, $user]),
        ticket_number: $group.number,
        user: $user,
        first_seen: <datetime>$now
    });
"#;

/// The users of a known problem's reports that it has not affected before.
const NEW_USERS: &str = r#"
    LET $new_users = array::filter($group.users, |$user| !record::exists(type::record('crash_user', [$group.number, $user])));
"#;

/// How a ticket's list of `field` (releases, environments) takes the group's: the names it does
/// not list yet are appended, the most recent [`app::model::MAX_CRASH_RELEASES`] kept and the
/// others counted in `{field}_omitted`. Most reports name what the ticket lists already: then
/// nothing but that check is computed.
fn listed(group: &str, field: &str) -> String {
    let new = format!("array::complement({group}.{field}, {field} OR [])");
    let union = format!("array::union({field} OR [], {group}.{field})");
    format!(
        "{field}_omitted = IF array::len({new}) = 0 THEN {field}_omitted \
         ELSE ({field}_omitted OR 0) + math::max([0, array::len({union}) - $max_releases]) END,
    {field} = IF array::len({new}) = 0 THEN {field} \
         ELSE array::slice({union}, 0 - $max_releases) END,"
    )
}

/// The counts and spike window of a ticket, as every report updates them: `group` is the
/// expression of the ticket's group, `new_users` of how many users it affects for the first time.
fn count(group: &str, new_users: &str) -> String {
    let releases = listed(group, "releases");
    let environments = listed(group, "environments");
    format!(
        r#"
    occurrences = (occurrences OR 0) + {group}.count,
    last_seen = <datetime>$now,
    {releases}
    {environments}
    customer_keys = IF array::len({group}.customers) = 0 THEN customer_keys ELSE array::slice(array::union(customer_keys OR [], {group}.customers), 0, $max_customers) END,
    spike_window_count = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN {group}.count ELSE (spike_window_count OR 0) + {group}.count END,
    spike_window_start = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN <datetime>$now ELSE spike_window_start END,
    affected_users = (affected_users OR 0) + {new_users}
"#
    )
}

/// Reports of known problems whose tickets stay as they are: every ticket in one update, and
/// the events, receipts and hourly counts (built beforehand, numbered from the occurrences the
/// tickets had when read) each in one insert. A ticket resolved since it was read, or counted
/// since, fails the batch, which is then read and planned again.
fn count_known() -> String {
    let count = count("$counted[<string>number]", "0");
    format!(
        r#"
LET $counted_after = (UPDATE $counted_ids SET {count}
    WHERE status NOT IN ['resolved', 'closed'] OR $counted[<string>number].older_than_fix
    RETURN number, occurrences, spike_window_count);
IF array::len($counted_after) != array::len($counted_ids) {{ THROW 'stale revision: a ticket was resolved since it was read' }};
IF array::len(array::filter($counted_after, |$ticket| $ticket.occurrences != $counted[<string>$ticket.number].occurrences_after)) > 0 {{
    THROW 'stale revision: a ticket was counted since it was read'
}};
INSERT INTO crash_event $counted_events;
INSERT INTO crash_receipt $counted_receipts;
INSERT INTO crash_hour $counted_hours ON DUPLICATE KEY UPDATE count += $input.count;
IF array::len(UPDATE $counted_hour_ids SET count += $counted[<string>ticket_number].count RETURN VALUE id) != array::len($counted_hour_ids) {{
    THROW 'stale revision: a count of the hour is missing'
}};
FOR $group IN $counted_users {{
    {NEW_USERS}
    IF array::len($new_users) > 0 {{
        UPDATE type::record('ticket', $group.number) SET affected_users = (affected_users OR 0) + array::len($new_users);
        INSERT INTO crash_user array::map($new_users, |$user| {{
            id: type::record('crash_user', [$group.number, $user]),
            ticket_number: $group.number,
            user: $user,
            first_seen: <datetime>$now
        }});
    }};
}};
"#
    )
}

/// Reports that reopen their resolved or closed ticket (a regression).
fn reopen_known() -> String {
    let count = count("$group", "array::len($new_users)");
    format!(
        r#"
FOR $group IN $reopened {{
    {NEW_USERS}
    LET $updated = (UPDATE type::record('ticket', $group.number) SET
        status = 'verified',
        queue_key = $group.queue_key,
        resolution = NONE,
        resolved_in_release = NONE,
        revision = revision + 1,
        entry_count = entry_count + 1,
        updated_at = <datetime>$now, {count}
        WHERE revision = $group.revision RETURN AFTER);
    IF array::len($updated) = 0 {{ THROW 'stale revision: the ticket changed since it was read' }};
    CREATE type::record('entry', [$group.number, $group.position]) CONTENT {{
        ticket_number: $group.number,
        position: $group.position,
        kind: 'regressed',
        author: 'crash reporter',
        body: $group.body,
        change_from: $group.from,
        change_to: 'verified',
        created_at: <datetime>$now
    }};
    {RECORD_REPORTS}
}};
"#
    )
}

/// New problems: a group, a ticket, its first entry, events and receipts.
const CREATE_FRESH: &str = r#"
FOR $group IN $fresh {
    LET $number = $group.number;
    CREATE type::record('crash_group', [$group.project, $group.fingerprint]) SET ticket_number = $number;
    CREATE type::record('ticket', $number) CONTENT {
        number: $number,
        reference: string::concat('TCK-', <string>$number),
        title: $group.title,
        description: $group.description,
        urgency: $group.urgency,
        status: 'new',
        channel: 'crash',
        customer: $group.customer,
        scope: 'internal',
        environment: $group.environment,
        occurred_at: <datetime>$now,
        manner: 'reported automatically by the application',
        queue_key: string::concat($group.queue_prefix, <string>($number + $number_offset)),
        search_words: $group.search_words,
        revision: 1,
        entry_count: 1,
        created_at: <datetime>$now,
        updated_at: <datetime>$now,
        project: $group.project,
        fingerprint: $group.fingerprint,
        occurrences: $group.count,
        first_seen: <datetime>$now,
        last_seen: <datetime>$now,
        releases: array::slice($group.releases, 0 - $max_releases),
        releases_omitted: math::max([0, array::len($group.releases) - $max_releases]),
        environments: array::slice($group.environments, 0 - $max_releases),
        environments_omitted: math::max([0, array::len($group.environments) - $max_releases]),
        customer_keys: array::slice($group.customers, 0, $max_customers),
        spike_window_start: <datetime>$now,
        spike_window_count: $group.count,
        affected_users: array::len($group.users)
    };
    INSERT INTO crash_user array::map($group.users, |$user| {
        id: type::record('crash_user', [$number, $user]),
        ticket_number: $number,
        user: $user,
        first_seen: <datetime>$now
    });
    CREATE type::record('entry', [$number, 0]) CONTENT {
        ticket_number: $number,
        position: 0,
        kind: 'created',
        author: 'crash reporter',
        body: $group.summary,
        created_at: <datetime>$now
    };
    LET $kept_reports = array::filter($group.reports, |$report| $report.payload != NONE AND $report.offset <= $kept);
    INSERT INTO crash_event array::map($kept_reports, |$report| {
        id: type::record('crash_event', [$number, $report.offset]),
        ticket_number: $number,
        sequence: $report.offset,
        event_id: $report.event_id,
        received_at: <datetime>$now,
        payload: $payloads[$report.payload]
    });
    INSERT INTO crash_receipt array::map($group.reports, |$report| {
        id: type::record('crash_receipt', [$report.project, $report.event_id]),
        ticket_number: $number,
        received_at: <datetime>$now
    });
    UPSERT type::record('crash_hour', [$number, $hour]) SET
        ticket_number = $number, hour = $hour, count = (count OR 0) + $group.count;
};
"#;

/// The counts of the batch's known tickets after it: of those counted, as their update
/// returned them; of those reopened, read again.
fn return_results(counted: bool, reopened: bool) -> String {
    let counted = if counted { "$counted_after" } else { "[]" };
    let reopened = if reopened {
        "(SELECT number, occurrences, spike_window_count FROM array::map($reopened, |$group| type::record('ticket', $group.number)))"
    } else {
        "[]"
    };
    format!("RETURN {{ windows: array::concat({counted}, {reopened}) }};\n")
}

/// The transaction storing a batch, with only the parts the batch needs (less to parse).
pub(super) fn store_batch_query(
    new_releases: bool,
    counted: bool,
    reopened: bool,
    fresh: bool,
) -> String {
    static COUNT_KNOWN: std::sync::LazyLock<String> = std::sync::LazyLock::new(count_known);
    static REOPEN_KNOWN: std::sync::LazyLock<String> = std::sync::LazyLock::new(reopen_known);
    let mut query = String::from("BEGIN TRANSACTION;\n");
    if new_releases {
        query.push_str(RECORD_RELEASES);
    }
    if counted {
        query.push_str(&COUNT_KNOWN);
    }
    if reopened {
        query.push_str(&REOPEN_KNOWN);
    }
    if fresh {
        query.push_str(CREATE_FRESH);
    }
    query.push_str(&return_results(counted, reopened));
    query.push_str("COMMIT TRANSACTION;\n");
    query
}
