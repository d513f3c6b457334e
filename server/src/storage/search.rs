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
use app::search::{
    Fragment, HitKind, MARK_END, MARK_START, SearchHit, SearchQuery, SearchScope, Suggestions,
    fragments,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// About how many matching records one ranked query of a search may score: words found in many
/// records are left out of the query (they would hardly change the order) once rarer ones have
/// used this budget.
const SEARCH_BUDGET: f64 = 300.0;
/// The same for suggestions, which show a few of the best and send many words: the rarest
/// describe the problem best.
const SUGGESTION_BUDGET: f64 = 200.0;

/// How many of a table's newest records the word counts are taken from.
const SAMPLE_SIZE: usize = 2_000;
/// How long a sample is used before it is taken again (in the background: queries meanwhile
/// plan from the old one).
const SAMPLE_TTL: Duration = Duration::from_secs(600);

/// How long a snippet is, in characters.
const SNIPPET_CHARS: usize = 240;
/// How many suggestions of each kind are offered.
const SUGGESTIONS: usize = 5;

/// Which words the newest records of a table hold: how many of the sampled records hold each
/// stem, and how many records there are in all.
struct Sample {
    taken: Instant,
    /// About how many records the table has.
    total: f64,
    /// How many records were read.
    size: usize,
    /// In how many of the sampled records each stem occurs.
    counts: HashMap<String, u32>,
}

impl Sample {
    fn new<'a>(texts: impl Iterator<Item = &'a str>, total: f64) -> Sample {
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut size = 0;
        for text in texts {
            size += 1;
            for stem in query_stems(text) {
                *counts.entry(stem).or_default() += 1;
            }
        }
        Sample {
            taken: Instant::now(),
            total: total.max(size as f64),
            size,
            counts,
        }
    }

    /// About how many records of the table hold `word`: each term the analyzer makes of it
    /// counts. A word no sampled record holds is rare: about half the records one sampled record
    /// stands for (none, when the sample is the whole table).
    fn records(&self, word: &str) -> f64 {
        let scale = self.total / self.size.max(1) as f64;
        query_stems(word)
            .iter()
            .map(|stem| match self.counts.get(stem) {
                Some(seen) => *seen as f64 * scale,
                None if self.size as f64 >= self.total => 0.0,
                None => scale / 2.0,
            })
            .sum()
    }
}

/// The sample of each table, and whether it is being taken again.
type SampleTables = HashMap<&'static str, (std::sync::Arc<Sample>, bool)>;

/// The samples of the searched tables.
#[derive(Default)]
pub struct Samples {
    tables: std::sync::Mutex<SampleTables>,
}

impl Samples {
    fn lock(&self) -> std::sync::MutexGuard<'_, SampleTables> {
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

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

/// Marks the words of `text` that the full-text analyzer would match with `stems`, the way it
/// cuts and normalises them: runs of letters or of digits, lower-cased, folded to ASCII and
/// stemmed (Snowball, English). The database's own highlighting reads every match's offsets,
/// which cost more than ranking a page; this marks only what is shown.
fn highlight(text: &str, stems: &std::collections::HashSet<String>) -> String {
    let mut marked = String::with_capacity(text.len() + 16);
    let mut run = String::new();
    let mut run_class = 0u8;
    let flush = |run: &mut String, marked: &mut String| {
        if run.is_empty() {
            return;
        }
        if stems.contains(&stem(run)) {
            marked.push(MARK_START);
            marked.push_str(run);
            marked.push(MARK_END);
        } else {
            marked.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        let class = if c.is_alphabetic() {
            1
        } else if c.is_numeric() {
            2
        } else {
            0
        };
        if class != run_class {
            flush(&mut run, &mut marked);
            run_class = class;
        }
        if class == 0 {
            marked.push(c);
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut marked);
    marked
}

/// A word as the analyzer indexes it.
fn stem(word: &str) -> String {
    static STEMMER: std::sync::LazyLock<rust_stemmers::Stemmer> = std::sync::LazyLock::new(|| {
        rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
    });
    let folded = deunicode::deunicode(&word.to_lowercase()).to_lowercase();
    STEMMER.stem(&folded).into_owned()
}

/// The stems of a query's words, each cut as the analyzer cuts (letters apart from digits).
fn query_stems(words: &str) -> std::collections::HashSet<String> {
    let mut stems = std::collections::HashSet::new();
    for word in words.split_whitespace() {
        let mut run = String::new();
        let mut run_class = 0u8;
        for c in word.chars().chain(std::iter::once(' ')) {
            let class = if c.is_alphabetic() {
                1
            } else if c.is_numeric() {
                2
            } else {
                0
            };
            if class != run_class && !run.is_empty() {
                stems.insert(stem(&run));
                run.clear();
            }
            run_class = class;
            if class != 0 {
                run.push(c);
            }
        }
    }
    stems
}

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

fn has_match(text: &str) -> bool {
    text.contains(MARK_START)
}

/// The first of these texts with a match, cut around it; else the first non-empty one.
fn snippet(texts: &[&str]) -> Vec<Fragment> {
    let chosen = texts
        .iter()
        .find(|text| has_match(text))
        .or_else(|| texts.iter().find(|text| !text.is_empty()))
        .copied()
        .unwrap_or("");
    fragments(chosen, SNIPPET_CHARS)
}

fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect()
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

/// Which words a ranked query sends, from about how many records hold each (`records`, of
/// `total`). Words in half the records or more weigh nothing in BM25 and are dropped; the others
/// are kept rarest first while the records they match fit in `budget`. When even the
/// rarest word matches too many records to rank, the query is not ranked and looks for that word
/// alone.
fn plan_words(words: &[String], records: &[f64], total: f64, budget: f64) -> Plan {
    // A table this small is ranked whole, whatever its words.
    if total <= budget {
        return Plan::Ranked(words.to_vec());
    }
    let mut estimated: Vec<(f64, &String)> = records.iter().copied().zip(words).collect();
    estimated.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut kept = Vec::new();
    let mut matched = 0.0;
    for (records, word) in &estimated {
        if *records >= total / 2.0 || matched + records > budget {
            break;
        }
        matched += records;
        kept.push((*word).clone());
    }
    if !kept.is_empty() {
        return Plan::Ranked(kept);
    }
    // Every word is common: the least common alone.
    Plan::Unranked(
        estimated
            .first()
            .map(|(_, word)| (*word).clone())
            .unwrap_or_default(),
    )
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
    /// How to look for `words` in `table` (see [`plan_words`]), from the table's sample.
    async fn plan(
        &self,
        table: &'static str,
        words: &[String],
        budget: f64,
    ) -> Result<Plan, StorageError> {
        let sample = self.sample(table).await?;
        let records: Vec<f64> = words.iter().map(|word| sample.records(word)).collect();
        Ok(plan_words(words, &records, sample.total, budget))
    }

    /// The table's sample: taken now when there is none, taken again in the background when it
    /// is old.
    async fn sample(&self, table: &'static str) -> Result<std::sync::Arc<Sample>, StorageError> {
        {
            let mut tables = self.samples.lock();
            if let Some((sample, refreshing)) = tables.get_mut(table) {
                if sample.taken.elapsed() > SAMPLE_TTL && !*refreshing {
                    *refreshing = true;
                    let store = self.clone();
                    tokio::spawn(async move {
                        let taken = store.take_sample(table).await;
                        let mut tables = store.samples.lock();
                        match taken {
                            Ok(sample) => {
                                tables.insert(table, (std::sync::Arc::new(sample), false));
                            }
                            Err(error) => {
                                tracing::warn!(%error, table, "could not sample the search index");
                                if let Some((_, refreshing)) = tables.get_mut(table) {
                                    *refreshing = false;
                                }
                            }
                        }
                    });
                }
                return Ok(sample.clone());
            }
        }
        let sample = std::sync::Arc::new(self.take_sample(table).await?);
        self.samples.lock().insert(table, (sample.clone(), false));
        Ok(sample)
    }

    /// Reads the searched text of the table's newest [`SAMPLE_SIZE`] records (for entries, of
    /// the newest tickets' timelines) and counts their words.
    async fn take_sample(&self, table: &'static str) -> Result<Sample, StorageError> {
        let sequence = if table == "article" {
            "sequence:article"
        } else {
            "sequence:ticket"
        };
        let mut response = self
            .db()
            .query(format!("RETURN {sequence}.value OR 0;"))
            .await?
            .check()?;
        let last: Option<i64> = response.take(0)?;
        let last = last.unwrap_or(0).max(0) as u64;
        let first = last.saturating_sub(SAMPLE_SIZE as u64 - 1).max(1);
        if table == "entry" {
            let mut response = self
                .db()
                .query("SELECT ticket_number, text FROM entry WHERE ticket_number >= $first AND text != NONE LIMIT $limit")
                .bind(("first", first as i64))
                .bind(("limit", SAMPLE_SIZE as i64))
                .await?
                .check()?;
            let rows: Vec<PageRow> = decode(response.take(0)?)?;
            // The timelines of the tickets read stand for those of all tickets.
            let numbers = rows.iter().map(|row| row.ticket_number);
            let covered = match (numbers.clone().min(), numbers.max()) {
                (Some(oldest), Some(newest)) => newest - oldest + 1,
                _ => 1,
            };
            let total = rows.len() as f64 * last as f64 / covered as f64;
            return Ok(Sample::new(
                rows.iter().filter_map(|row| row.text.as_deref()),
                total,
            ));
        }
        let keys: Vec<i64> = (first..=last).map(|number| number as i64).collect();
        let mut response = self
            .db()
            .query(format!("SELECT VALUE search_text FROM array::map($keys, |$key| type::record('{table}', $key)) WHERE id != NONE"))
            .bind(("keys", keys))
            .await?
            .check()?;
        let texts: Vec<Option<String>> = response.take(0)?;
        Ok(Sample::new(
            texts.iter().flatten().map(String::as_str),
            last as f64,
        ))
    }

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

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn rare_words_are_ranked_and_common_ones_left_out() {
        let planned = plan_words(
            &words(&["printer", "the", "blank", "driver", "spooler", "zzyzx"]),
            &[30_000.0, 90_000.0, 200.0, 150.0, 3.0, 0.0],
            100_000.0,
            SEARCH_BUDGET,
        );
        assert_eq!(
            planned,
            Plan::Ranked(words(&["zzyzx", "spooler", "driver"]))
        );
    }

    #[test]
    fn a_query_of_only_common_words_is_not_ranked() {
        let total = 100_000.0;
        assert_eq!(
            plan_words(
                &words(&["printer", "paper"]),
                &[30_000.0, 20_000.0],
                total,
                SEARCH_BUDGET
            ),
            Plan::Unranked("paper".into())
        );
        assert_eq!(
            plan_words(&words(&["the"]), &[90_000.0], total, SEARCH_BUDGET),
            Plan::Unranked("the".into())
        );
    }

    #[test]
    fn in_a_small_help_desk_every_word_is_ranked() {
        // Even words in most records.
        let planned = plan_words(
            &words(&["spectrograph", "readings", "nowhere"]),
            &[1.0, 2.0, 0.0],
            2.0,
            SUGGESTION_BUDGET,
        );
        assert_eq!(
            planned,
            Plan::Ranked(words(&["spectrograph", "readings", "nowhere"]))
        );
    }

    #[test]
    fn a_sample_estimates_how_many_records_hold_a_word() {
        let texts = [
            "Printer jams\u{1e}The printer jams on paper",
            "Printing fails\u{1e}Driver E42",
            "Login fails\u{1e}Password expired",
            "Login slow",
        ];
        // Four of 400 records: each sampled record stands for 100.
        let sample = Sample::new(texts.iter().copied(), 400.0);
        assert_eq!(
            sample.records("printers"),
            100.0,
            "printing is another stem"
        );
        assert_eq!(sample.records("LOGIN"), 200.0);
        assert_eq!(sample.records("e42"), 200.0, "one record, two terms");
        assert_eq!(sample.records("spooler"), 50.0, "unseen: rare");
        // The whole table: exact counts, and an unseen word is in no record.
        let whole = Sample::new(texts.iter().copied(), 4.0);
        assert_eq!(whole.records("fails"), 2.0);
        assert_eq!(whole.records("spooler"), 0.0);
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
    fn words_are_highlighted_as_the_analyzer_matches_them() {
        let stems = query_stems("printing drivers e42");
        let marked = highlight(
            "The Printer prints; driver E42 failed, Drivers too. printer-2",
            &stems,
        );
        let shown = marked.replace(MARK_START, "[").replace(MARK_END, "]");
        assert_eq!(
            shown,
            "The Printer [prints]; [driver] [E][42] failed, [Drivers] too. printer-2"
        );
        let stems = query_stems("café");
        assert_eq!(
            highlight("Cafe opens", &stems)
                .replace(MARK_START, "[")
                .replace(MARK_END, "]"),
            "[Cafe] opens"
        );
    }

    #[test]
    fn a_snippet_prefers_the_text_that_matched() {
        let description = "nothing here";
        let resolution = format!("Reinstall the {MARK_START}driver{MARK_END}");
        let pieces = snippet(&[description, &resolution]);
        assert!(
            pieces
                .iter()
                .any(|piece| piece.matched && piece.text == "driver")
        );
        let pieces = snippet(&["", description]);
        assert_eq!(pieces[0].text, "nothing here");
    }
}
