//! Full-text search and suggestions over tickets, their timelines and articles.
//!
//! Each searched field has its own BM25 index (SurrealDB full-text indexes cover one field); a
//! query matches any of its words (`@N,OR@`) in any field, and a record's score is the sum of its
//! fields' scores with titles counted twice. Timelines are searched through `entry.text` (notes,
//! contacts and attempts; not the audit trail) and count for their ticket. Matched words come
//! back marked with private-use characters and are cut into fragments (`app::search`), so no
//! stored text is ever treated as markup.

use super::records::decode;
use super::{StorageError, Store};
use app::model::{Status, TicketRef};
use app::search::{
    Fragment, HitKind, MARK_END, MARK_START, SearchHit, SearchQuery, SearchScope, Suggestions,
    fragments,
};
use serde::Deserialize;
use std::collections::HashMap;

/// About how many matching records one ranked query may score: BM25 scores every record a
/// query matches before it can rank them, so words found in many records are left out of the
/// query (they would hardly change the order) once rarer ones have used this budget.
const SCORING_BUDGET: f64 = 4_000.0;

/// How long a snippet is, in characters.
const SNIPPET_CHARS: usize = 240;
/// How many suggestions of each kind are offered.
const SUGGESTIONS: usize = 5;

/// Tickets by title, description and resolution. Ranked: any word matches (`OR`), best first.
/// Unranked (a word too common to rank): that word, in the order found.
fn ticket_query(ranked: bool, status_filter: bool) -> String {
    let (matches, order) = if ranked {
        (",OR", "ORDER BY score DESC ")
    } else {
        ("", "")
    };
    let filter = if status_filter {
        " AND status IN $statuses"
    } else {
        ""
    };
    format!(
        r#"
SELECT number, status,
    search::score(0) * 2 + search::score(1) + search::score(2) AS score,
    search::highlight($start, $end, 0) AS title,
    search::highlight($start, $end, 1) AS description,
    search::highlight($start, $end, 2) AS resolution
FROM ticket
WHERE (title @0{matches}@ $q OR description @1{matches}@ $q OR resolution @2{matches}@ $q){filter}
{order}LIMIT $limit;
SELECT ticket_number, search::score(0) AS score, search::highlight($start, $end, 0) AS text
FROM entry WHERE text @0{matches}@ $q {order}LIMIT $limit;
"#
    )
}

/// Published articles by title, symptoms and resolution (ranked or not, as tickets).
fn article_query(ranked: bool) -> String {
    let (matches, order) = if ranked {
        (",OR", "ORDER BY score DESC ")
    } else {
        ("", "")
    };
    format!(
        r#"
SELECT number, status,
    search::score(0) * 2 + search::score(1) + search::score(2) AS score,
    search::highlight($start, $end, 0) AS title,
    search::highlight($start, $end, 1) AS symptoms,
    search::highlight($start, $end, 2) AS resolution
FROM article
WHERE (title @0{matches}@ $q OR symptoms @1{matches}@ $q OR resolution @2{matches}@ $q) AND status = 'published'
{order}LIMIT $limit;
"#
    )
}

#[derive(Debug, Deserialize)]
struct TicketRow {
    number: u64,
    status: Status,
    #[serde(default)]
    score: Option<f64>,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EntryRow {
    ticket_number: u64,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ArticleRow {
    number: u64,
    status: String,
    #[serde(default)]
    score: Option<f64>,
    title: String,
    #[serde(default)]
    symptoms: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
}

fn has_match(text: &Option<String>) -> bool {
    text.as_deref()
        .is_some_and(|text| text.contains(MARK_START))
}

/// The first of these texts with a match, cut around it; else the first non-empty one.
fn snippet(texts: &[&Option<String>]) -> Vec<Fragment> {
    let chosen = texts
        .iter()
        .find(|text| has_match(text))
        .or_else(|| {
            texts
                .iter()
                .find(|text| text.as_deref().is_some_and(|text| !text.is_empty()))
        })
        .and_then(|text| text.as_deref())
        .unwrap_or("");
    fragments(chosen, SNIPPET_CHARS)
}

fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect()
}

fn ticket_hit(row: TicketRow, entry: Option<&EntryRow>) -> Result<SearchHit, StorageError> {
    let reference = TicketRef::from_number(row.number)
        .ok_or_else(|| StorageError::Corrupt(format!("ticket number {}", row.number)))?;
    let entry_text = entry.and_then(|entry| entry.text.clone());
    let resolved = matches!(row.status, Status::Resolved | Status::Closed);
    // A resolved ticket shows how it was solved when that matches; otherwise what matched.
    let snippet = if resolved {
        snippet(&[&row.resolution, &row.description, &entry_text])
    } else {
        snippet(&[&row.description, &entry_text, &row.resolution])
    };
    Ok(SearchHit {
        kind: HitKind::Ticket,
        href: format!("/tickets/{reference}"),
        reference: reference.to_string(),
        title: fragments(&row.title, usize::MAX),
        snippet,
        status: row.status.as_str().to_string(),
        score: row.score.unwrap_or(0.0) + entry.and_then(|entry| entry.score).unwrap_or(0.0),
    })
}

fn article_hit(row: ArticleRow) -> SearchHit {
    SearchHit {
        kind: HitKind::Article,
        reference: format!("KB-{}", row.number),
        href: format!("/articles/{}", row.number),
        title: fragments(&row.title, usize::MAX),
        snippet: snippet(&[&row.symptoms, &row.resolution]),
        status: row.status,
        score: row.score.unwrap_or(0.0),
    }
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

/// Which words a ranked query sends, from the score each word gives the first records it
/// matches. BM25's weight of a word is `ln((N - n + 0.5) / (n + 0.5))` for a word in `n` of `N`
/// records, and a record holding it once, of average length, scores about that weight; so the
/// score tells how many records hold the word without counting them. Words in half the records
/// or more weigh nothing and are dropped; the others are kept rarest first while the records
/// they match fit in [`SCORING_BUDGET`]. When even the rarest word matches too many records to
/// rank, the query is not ranked and looks for that word alone.
fn plan_words(words: &[String], weights: &[Option<f64>], total: f64) -> Plan {
    let mut estimated: Vec<(f64, &String)> = words
        .iter()
        .zip(weights)
        .filter_map(|(word, weight)| match weight {
            // No record holds it in the probed field: it may still be in another.
            None => Some((0.0, word)),
            Some(weight) if *weight > 0.0 => Some((total / (weight.exp() + 1.0), word)),
            Some(_) => None,
        })
        .collect();
    estimated.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut kept = Vec::new();
    let mut matched = 0.0;
    for (records, word) in &estimated {
        if matched + records > SCORING_BUDGET {
            break;
        }
        matched += records;
        kept.push((*word).clone());
    }
    if !kept.is_empty() {
        return Plan::Ranked(kept);
    }
    // Every word is common; the least common (or, if all weigh nothing, the first) alone.
    let rarest = estimated
        .first()
        .map(|(_, word)| (*word).clone())
        .unwrap_or_else(|| words[0].clone());
    Plan::Unranked(rarest)
}

/// How a query looks for its words.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Any of these words, best first.
    Ranked(Vec<String>),
    /// This word, in the order found.
    Unranked(String),
}

impl Plan {
    fn ranked(&self) -> bool {
        matches!(self, Plan::Ranked(_))
    }

    fn query_text(&self) -> String {
        match self {
            Plan::Ranked(words) => words.join(" "),
            Plan::Unranked(word) => word.clone(),
        }
    }
}

impl Store {
    /// How to look for `words` in `table`, judged by the weight each gets in the index of
    /// `field` (see [`plan_words`]).
    async fn plan(
        &self,
        table: &str,
        field: &str,
        sequence: &str,
        words: &[String],
    ) -> Result<Plan, StorageError> {
        let mut statements = format!("RETURN {sequence}.value OR 0;\n");
        for index in 0..words.len() {
            statements.push_str(&format!(
                "RETURN math::max((SELECT VALUE search::score(0) FROM {table} WHERE {field} @0@ $word_{index} LIMIT 3));\n"
            ));
        }
        let mut query = self.db().query(statements);
        for (index, word) in words.iter().enumerate() {
            query = query.bind((format!("word_{index}"), word.clone()));
        }
        let mut response = query.await?.check()?;
        // Numbers come back as integers or floats, as SurrealDB has them.
        let number = |value: Option<serde_json::Value>| value.as_ref().and_then(|v| v.as_f64());
        let total = number(response.take(0)?);
        let mut weights = Vec::with_capacity(words.len());
        for index in 0..words.len() {
            weights.push(number(response.take(index + 1)?));
        }
        Ok(plan_words(words, &weights, total.unwrap_or(0.0).max(1.0)))
    }

    /// Tickets matching `words` (by their fields or their timeline), best first, at most
    /// `limit`, only with one of `statuses` when any are given, never `exclude`.
    async fn ticket_hits(
        &self,
        words: &[String],
        statuses: &[Status],
        exclude: Option<u64>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StorageError> {
        let plan = self
            .plan("ticket", "description", "sequence:ticket", words)
            .await?;
        let query = ticket_query(plan.ranked(), !statuses.is_empty());
        let statuses: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
        let mut response = self
            .db()
            .query(query)
            .bind(("q", plan.query_text()))
            .bind(("statuses", statuses.clone()))
            .bind(("start", MARK_START.to_string()))
            .bind(("end", MARK_END.to_string()))
            .bind(("limit", (limit + 1) as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let tickets = decode::<TicketRow>(rows)?;
        let rows: Vec<serde_json::Value> = response.take(1)?;
        // The best entry of each ticket.
        let mut entries: HashMap<u64, EntryRow> = HashMap::new();
        for entry in decode::<EntryRow>(rows)? {
            let better = entries
                .get(&entry.ticket_number)
                .is_none_or(|known| entry.score.unwrap_or(0.0) > known.score.unwrap_or(0.0));
            if better {
                entries.insert(entry.ticket_number, entry);
            }
        }
        let mut hits = Vec::new();
        for row in tickets {
            if Some(row.number) == exclude {
                continue;
            }
            let entry = entries.remove(&row.number);
            hits.push(ticket_hit(row, entry.as_ref())?);
        }
        // Tickets found only by their timeline.
        let others: Vec<i64> = entries
            .keys()
            .filter(|number| Some(**number) != exclude)
            .map(|number| *number as i64)
            .collect();
        if !others.is_empty() {
            let mut response = self
                .db()
                .query("SELECT number, status, title, description, resolution FROM array::map($numbers, |$number| type::record('ticket', $number)) WHERE id != NONE")
                .bind(("numbers", others))
                .await?
                .check()?;
            let rows: Vec<serde_json::Value> = response.take(0)?;
            for mut row in decode::<TicketRow>(rows)? {
                if !statuses.is_empty() && !statuses.contains(&row.status.as_str()) {
                    continue;
                }
                row.score = Some(0.0);
                let entry = entries.get(&row.number);
                hits.push(ticket_hit(row, entry)?);
            }
        }
        rank(&mut hits);
        hits.truncate(limit);
        Ok(hits)
    }

    /// Published articles matching `words`, best first, at most `limit`.
    async fn article_hits(
        &self,
        words: &[String],
        limit: usize,
    ) -> Result<Vec<SearchHit>, StorageError> {
        let plan = self
            .plan("article", "symptoms", "sequence:article", words)
            .await?;
        let query = article_query(plan.ranked());
        let mut response = self
            .db()
            .query(query)
            .bind(("q", plan.query_text()))
            .bind(("start", MARK_START.to_string()))
            .bind(("end", MARK_END.to_string()))
            .bind(("limit", limit as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let mut hits: Vec<SearchHit> = decode::<ArticleRow>(rows)?
            .into_iter()
            .map(article_hit)
            .collect();
        rank(&mut hits);
        Ok(hits)
    }

    /// One page of a search across tickets and articles, best first.
    pub async fn search(
        &self,
        query: &SearchQuery,
    ) -> Result<app::search::SearchResults, StorageError> {
        let wanted = query.offset + query.limit + 1;
        let mut hits = Vec::new();
        if query.scope != SearchScope::Articles {
            hits.extend(
                self.ticket_hits(&query.words, &query.statuses, None, wanted)
                    .await?,
            );
        }
        if query.scope != SearchScope::Tickets {
            hits.extend(self.article_hits(&query.words, wanted).await?);
        }
        rank(&mut hits);
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
                    // Above anything the words find.
                    score: f64::INFINITY,
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
        for hit in self.article_hits(&words, SUGGESTIONS).await? {
            if !articles
                .iter()
                .any(|known| known.reference == hit.reference)
            {
                articles.push(hit);
            }
        }
        articles.truncate(SUGGESTIONS);
        let tickets = self
            .ticket_hits(
                &words,
                &[Status::Resolved, Status::Closed],
                exclude.map(|reference| reference.number()),
                SUGGESTIONS,
            )
            .await?;
        Ok(Suggestions { articles, tickets })
    }
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

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    /// The weight BM25 gives a word in `n` of `total` records.
    fn weight(n: f64, total: f64) -> Option<f64> {
        Some(((total - n + 0.5) / (n + 0.5)).ln().max(0.0))
    }

    #[test]
    fn rare_words_are_ranked_and_common_ones_left_out() {
        let total = 100_000.0;
        let planned = plan_words(
            &words(&["printer", "the", "blank", "driver", "spooler"]),
            &[
                weight(30_000.0, total),
                weight(90_000.0, total),
                weight(1_500.0, total),
                weight(900.0, total),
                None,
            ],
            total,
        );
        assert_eq!(
            planned,
            Plan::Ranked(words(&["spooler", "driver", "blank"]))
        );
    }

    #[test]
    fn a_query_of_only_common_words_is_not_ranked() {
        let total = 100_000.0;
        assert_eq!(
            plan_words(
                &words(&["printer", "paper"]),
                &[weight(30_000.0, total), weight(20_000.0, total)],
                total
            ),
            Plan::Unranked("paper".into())
        );
        assert_eq!(
            plan_words(&words(&["the"]), &[weight(90_000.0, total)], total),
            Plan::Unranked("the".into())
        );
    }

    #[test]
    fn in_a_small_help_desk_every_word_is_ranked() {
        let total = 40.0;
        let planned = plan_words(
            &words(&["printer", "blank"]),
            &[weight(10.0, total), weight(3.0, total)],
            total,
        );
        assert_eq!(planned, Plan::Ranked(words(&["blank", "printer"])));
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

    #[test]
    fn a_snippet_prefers_the_text_that_matched() {
        let description = Some("nothing here".to_string());
        let resolution = Some(format!("Reinstall the {MARK_START}driver{MARK_END}"));
        let pieces = snippet(&[&description, &resolution]);
        assert!(
            pieces
                .iter()
                .any(|piece| piece.matched && piece.text == "driver")
        );
        let pieces = snippet(&[&None, &description]);
        assert_eq!(pieces[0].text, "nothing here");
    }
}
