//! Full-text search and suggestions over tickets, their timelines and articles.
//!
//! Tickets and articles each have one BM25 index over `search_text`, a field the database keeps
//! as the title (twice: it weighs double), the description or symptoms and the resolution,
//! apart by the record separator. A query matches any of its words (`@0,OR@`); timelines are
//! searched through `entry.text` (notes, contacts and attempts; not the audit trail) and count
//! for their ticket.
//!
//! Cost is what shapes this module. BM25 scores every record a query matches before it can
//! rank them (measured here: some 35 µs per record), and highlighting costs more than scoring.
//! So a query first ranks ids and scores only, then reads the page it answers and marks the
//! matched words itself ([`highlight`], as the analyzer cuts and stems them); and the words it
//! sends are planned from how many records hold them ([`plan_words`]), with a cache of those
//! counts. Matched words are marked with private-use characters and cut into fragments
//! (`app::search`), so no stored text is ever treated as markup.

use super::records::decode;
use super::{StorageError, Store};
use app::model::{Status, TicketRef};
use app::search::{Fragment, HitKind, SearchHit, SearchQuery, SearchScope, Suggestions, fragments};
use serde::Deserialize;
use std::collections::HashMap;

mod highlight;
mod plan;
mod samples;

use highlight::{SNIPPET_CHARS, highlight, plain, query_stems, snippet};
use plan::Plan;
pub use samples::Samples;

/// About how many matching records one ranked query of a search may score: words found in many
/// records are left out of the query (they would hardly change the order) once rarer ones have
/// used this budget.
const SEARCH_BUDGET: f64 = 300.0;
/// The same for suggestions, which show a few of the best and send many words: the rarest
/// describe the problem best.
const SUGGESTION_BUDGET: f64 = 200.0;

/// How many suggestions of each kind are offered.
const SUGGESTIONS: usize = 5;

/// The ids of the best matches of `$q` in `table` (of those with a status in `$statuses` when
/// `status_filter`), scored when `ranked`.
fn rank_query(table: &str, ranked: bool, status_filter: bool) -> String {
    // Unranked, nothing is scored: a score has a cost of its own, even for a page.
    let (matches, order, score) = if ranked {
        (",OR", "ORDER BY score DESC ", "search::score(0)")
    } else {
        ("", "", "0")
    };
    let filter = match (table, status_filter) {
        ("ticket", true) => " AND status IN $statuses",
        ("article", _) => " AND status = 'published'",
        _ => "",
    };
    let field = if table == "entry" {
        "text"
    } else {
        "search_text"
    };
    format!(
        "SELECT record::id(id) AS key, {score} AS score FROM {table} WHERE {field} @0{matches}@ $q{filter} {order}LIMIT $limit;\n"
    )
}

/// The records of the page a query answers, read by id.
const READ_PAGE: &str = r#"
SELECT number, status, title, description AS text, resolution FROM array::map($tickets, |$key| type::record('ticket', $key)) WHERE id != NONE;
SELECT ticket_number, text FROM array::map($entries, |$key| type::record('entry', $key)) WHERE id != NONE;
SELECT number, status, title, symptoms AS text, resolution FROM array::map($articles, |$key| type::record('article', $key)) WHERE id != NONE;
"#;

#[derive(Debug, Deserialize)]
struct Ranked {
    /// The record's key: a ticket's or article's number, an entry's `[ticket, position]`.
    key: serde_json::Value,
    #[serde(default)]
    score: Option<f64>,
}

/// A ticket, entry or article of the page, as read.
#[derive(Debug, Deserialize)]
struct PageRow {
    #[serde(default)]
    number: u64,
    #[serde(default)]
    ticket_number: u64,
    #[serde(default)]
    status: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
}

/// Best first; equal scores newest first, so that the order is stable.
fn rank(hits: &mut [SearchHit]) {
    let number = |hit: &SearchHit| -> u64 {
        hit.reference
            .rsplit('-')
            .next()
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(0)
    };
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| number(b).cmp(&number(a)))
    });
}

/// What a search wants found.
struct Wanted<'a> {
    /// Tickets, only with one of `statuses` when any are given, never `exclude`.
    tickets: bool,
    /// Tickets also by what their timelines say.
    timelines: bool,
    statuses: &'a [Status],
    exclude: Option<u64>,
    /// Published articles.
    articles: bool,
    /// At most this many.
    limit: usize,
    /// About how many records each table's query scores (see [`plan_words`]).
    budget: f64,
}

/// A ranked or unranked query of one table, as planned.
struct Planned {
    plan: Plan,
    ranked: Vec<Ranked>,
}

impl Store {
    /// The best `limit` records of `table` for `words`, ids and scores only.
    async fn rank(
        &self,
        table: &'static str,
        words: &[String],
        statuses: &[&str],
        limit: usize,
        budget: f64,
    ) -> Result<Planned, StorageError> {
        let plan = self.plan(table, words, budget).await?;
        let mut response = self
            .db()
            .query(rank_query(table, plan.ranked(), !statuses.is_empty()))
            .bind(("q", plan.query_text()))
            .bind(("statuses", statuses.to_vec()))
            .bind(("limit", limit as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(Planned {
            plan,
            ranked: decode(rows)?,
        })
    }

    /// Tickets and articles matching `words` (tickets by their text or their timeline), best
    /// first, as `wanted` says.
    async fn hits(
        &self,
        words: &[String],
        wanted: Wanted<'_>,
    ) -> Result<Vec<SearchHit>, StorageError> {
        let Wanted {
            tickets,
            timelines,
            statuses,
            exclude,
            articles,
            limit,
            budget,
        } = wanted;
        let statuses: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
        // One more than asked, as `exclude` may be among them.
        let wanted = limit + 1;
        // The tables are ranked side by side; a table not wanted is not queried.
        let statuses = statuses.as_slice();
        let rank_table = |table: &'static str, included: bool| async move {
            // Only tickets are filtered by status.
            let statuses: &[&str] = if table == "ticket" { statuses } else { &[] };
            match included {
                true => self
                    .rank(table, words, statuses, wanted, budget)
                    .await
                    .map(Some),
                false => Ok(None),
            }
        };
        let (ticket_ranks, entry_ranks, article_ranks) = tokio::try_join!(
            rank_table("ticket", tickets),
            rank_table("entry", tickets && timelines),
            rank_table("article", articles),
        )?;
        let keys = |planned: &Option<Planned>| -> Vec<serde_json::Value> {
            planned
                .iter()
                .flat_map(|planned| planned.ranked.iter().map(|rank| rank.key.clone()))
                .collect()
        };
        let scores = |planned: &Option<Planned>| -> HashMap<String, f64> {
            planned
                .iter()
                .flat_map(|planned| {
                    planned
                        .ranked
                        .iter()
                        .map(|rank| (rank.key.to_string(), rank.score.unwrap_or(0.0)))
                })
                .collect()
        };
        let query_text = |planned: &Option<Planned>| {
            planned
                .as_ref()
                .map(|planned| planned.plan.query_text())
                .unwrap_or_default()
        };
        // Tickets found only by their timeline are read with the others.
        let mut ticket_keys = keys(&ticket_ranks);
        for rank in entry_ranks.iter().flat_map(|planned| planned.ranked.iter()) {
            if let Some(number) = rank.key.get(0).and_then(|number| number.as_u64())
                && !ticket_keys.iter().any(|key| key.as_u64() == Some(number))
            {
                ticket_keys.push(serde_json::json!(number));
            }
        }
        let mut response = self
            .db()
            .query(READ_PAGE)
            .bind(("tickets", ticket_keys))
            .bind(("entries", keys(&entry_ranks)))
            .bind(("articles", keys(&article_ranks)))
            .await?
            .check()?;
        let ticket_rows: Vec<PageRow> = decode(response.take(0)?)?;
        let entry_rows: Vec<PageRow> = decode(response.take(1)?)?;
        let article_rows: Vec<PageRow> = decode(response.take(2)?)?;

        let ticket_stems = query_stems(&query_text(&ticket_ranks));
        let ticket_scores = scores(&ticket_ranks);
        let entry_scores: HashMap<u64, f64> = entry_ranks
            .iter()
            .flat_map(|planned| planned.ranked.iter())
            .filter_map(|rank| {
                let number = rank.key.get(0)?.as_u64()?;
                Some((number, rank.score.unwrap_or(0.0)))
            })
            .fold(HashMap::new(), |mut best, (number, score)| {
                let entry = best.entry(number).or_insert(score);
                *entry = entry.max(score);
                best
            });
        // The best-matching timeline text of each ticket (entries come best first).
        let mut entry_text: HashMap<u64, String> = HashMap::new();
        for row in entry_rows {
            if let Some(text) = row.text {
                entry_text.entry(row.ticket_number).or_insert(text);
            }
        }
        let mut hits = Vec::new();
        for row in ticket_rows {
            if Some(row.number) == exclude
                || (!statuses.is_empty() && !statuses.contains(&row.status.as_str()))
            {
                continue;
            }
            let mark = |text: &str| highlight(text, &ticket_stems);
            let entry = entry_text.remove(&row.number).unwrap_or_default();
            let score = ticket_scores
                .get(&row.number.to_string())
                .copied()
                .unwrap_or(0.0)
                + entry_scores.get(&row.number).copied().unwrap_or(0.0);
            hits.push(ticket_hit(
                row.number,
                &row.status,
                &mark(&row.title),
                &mark(row.text.as_deref().unwrap_or("")),
                &mark(row.resolution.as_deref().unwrap_or("")),
                &mark(&entry),
                score,
            )?);
        }
        let article_stems = query_stems(&query_text(&article_ranks));
        let article_scores = scores(&article_ranks);
        for row in article_rows {
            let mark = |text: &str| highlight(text, &article_stems);
            hits.push(SearchHit {
                kind: HitKind::Article,
                reference: format!("KB-{}", row.number),
                href: format!("/articles/{}", row.number),
                title: fragments(&mark(&row.title), usize::MAX),
                snippet: snippet(&[
                    &mark(row.text.as_deref().unwrap_or("")),
                    &mark(row.resolution.as_deref().unwrap_or("")),
                ]),
                status: row.status,
                score: article_scores
                    .get(&row.number.to_string())
                    .copied()
                    .unwrap_or(0.0),
            });
        }
        rank(&mut hits);
        Ok(hits)
    }

    /// One page of a search across tickets and articles, best first.
    pub async fn search(
        &self,
        query: &SearchQuery,
    ) -> Result<app::search::SearchResults, StorageError> {
        let wanted = query.offset + query.limit + 1;
        let hits = self
            .hits(
                &query.words,
                Wanted {
                    tickets: query.scope != SearchScope::Articles,
                    timelines: true,
                    statuses: &query.statuses,
                    exclude: None,
                    articles: query.scope != SearchScope::Tickets,
                    limit: wanted,
                    budget: SEARCH_BUDGET,
                },
            )
            .await?;
        let more = hits.len() > query.offset + query.limit
            && query.offset + query.limit < app::search::MAX_SEARCH_RESULTS;
        let items: Vec<SearchHit> = hits
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        Ok(app::search::SearchResults {
            items,
            next_cursor: more.then(|| (query.offset + query.limit).to_string()),
        })
    }

    /// Resolved tickets and published articles about what `text` describes; for a crash
    /// ticket (`fingerprint`), articles written for tickets of the same crash come first.
    pub async fn suggestions(
        &self,
        text: &str,
        exclude: Option<TicketRef>,
        fingerprint: Option<&str>,
    ) -> Result<Suggestions, StorageError> {
        let words = app::search::significant_words(text);
        let mut articles: Vec<SearchHit> = Vec::new();
        if let Some(fingerprint) = fingerprint {
            let mut response = self
                .db()
                .query("SELECT VALUE number FROM ticket WHERE fingerprint = $fingerprint LIMIT 100")
                .bind(("fingerprint", fingerprint.to_string()))
                .await?
                .check()?;
            let numbers: Vec<u64> = response.take(0)?;
            for article in self.articles_for_tickets(&numbers).await? {
                articles.push(SearchHit {
                    kind: HitKind::Article,
                    reference: format!("KB-{}", article.id),
                    href: format!("/articles/{}", article.id),
                    title: vec![Fragment {
                        text: plain(&article.title),
                        matched: false,
                    }],
                    snippet: fragments(&article.symptoms, SNIPPET_CHARS),
                    status: article.status.as_str().to_string(),
                    // Above anything the words find, and still a JSON number (infinity would
                    // be sent as `null`).
                    score: f64::MAX,
                });
            }
        }
        if words.is_empty() {
            articles.truncate(SUGGESTIONS);
            return Ok(Suggestions {
                articles,
                tickets: Vec::new(),
            });
        }
        let found = self
            .hits(
                &words,
                Wanted {
                    tickets: true,
                    // A resolved ticket says how it was solved in its resolution; timelines
                    // would cost a third query for little.
                    timelines: false,
                    statuses: &[Status::Resolved, Status::Closed],
                    exclude: exclude.map(|reference| reference.number()),
                    articles: true,
                    limit: SUGGESTIONS,
                    budget: SUGGESTION_BUDGET,
                },
            )
            .await?;
        let mut tickets = Vec::new();
        for hit in found {
            match hit.kind {
                HitKind::Article => {
                    if !articles
                        .iter()
                        .any(|known| known.reference == hit.reference)
                    {
                        articles.push(hit);
                    }
                }
                HitKind::Ticket => tickets.push(hit),
            }
        }
        articles.truncate(SUGGESTIONS);
        tickets.truncate(SUGGESTIONS);
        Ok(Suggestions { articles, tickets })
    }
}

/// A ticket as a hit: a resolved one shows how it was solved when that matches; another what
/// matched.
fn ticket_hit(
    number: u64,
    status: &str,
    title: &str,
    text: &str,
    resolution: &str,
    entry: &str,
    score: f64,
) -> Result<SearchHit, StorageError> {
    let reference = TicketRef::from_number(number)
        .ok_or_else(|| StorageError::Corrupt(format!("ticket number {number}")))?;
    let resolved = matches!(status, "resolved" | "closed");
    // A ticket's own text is shown before its timeline, unless only the timeline matched.
    let snippet = if resolved {
        snippet(&[resolution, text, entry])
    } else {
        snippet(&[text, entry, resolution])
    };
    Ok(SearchHit {
        kind: HitKind::Ticket,
        href: format!("/tickets/{reference}"),
        reference: reference.to_string(),
        title: fragments(title, usize::MAX),
        snippet,
        status: status.to_string(),
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(reference: &str, score: f64) -> SearchHit {
        SearchHit {
            kind: HitKind::Ticket,
            reference: reference.into(),
            href: String::new(),
            title: Vec::new(),
            snippet: Vec::new(),
            status: "new".into(),
            score,
        }
    }

    #[test]
    fn hits_rank_by_score_then_newest() {
        let mut hits = vec![
            hit("TCK-1", 0.5),
            hit("TCK-2", 2.0),
            hit("KB-3", 0.5),
            hit("TCK-4", 0.5),
        ];
        rank(&mut hits);
        let order: Vec<&str> = hits.iter().map(|hit| hit.reference.as_str()).collect();
        assert_eq!(order, ["TCK-2", "TCK-4", "KB-3", "TCK-1"]);
    }
}
