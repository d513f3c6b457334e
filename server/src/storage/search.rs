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

/// About how many matching records one ranked query may score: words found in many records
/// are left out of the query (they would hardly change the order) once rarer ones have used
/// this budget.
const SCORING_BUDGET: f64 = 400.0;

/// How long a word's weight is trusted before it is probed again.
const WEIGHT_TTL: Duration = Duration::from_secs(600);
/// The most words whose weights are remembered.
const MAX_CACHED_WEIGHTS: usize = 50_000;

/// How long a snippet is, in characters.
const SNIPPET_CHARS: usize = 240;
/// How many suggestions of each kind are offered.
const SUGGESTIONS: usize = 5;

/// A probed weight (none: no record holds the word) and when it was probed, by table and word.
type Weights = HashMap<(&'static str, String), (Option<f64>, Instant)>;

/// The weights words get in the full-text indexes, as probed.
#[derive(Default)]
pub struct WeightCache {
    entries: std::sync::Mutex<Weights>,
}

impl WeightCache {
    fn get(&self, table: &'static str, word: &str) -> Option<Option<f64>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(&(table, word.to_string()))
            .filter(|(_, at)| at.elapsed() < WEIGHT_TTL)
            .map(|(weight, _)| *weight)
    }

    fn put(&self, table: &'static str, word: String, weight: Option<f64>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= MAX_CACHED_WEIGHTS {
            entries.retain(|_, (_, at)| at.elapsed() < WEIGHT_TTL);
            if entries.len() >= MAX_CACHED_WEIGHTS {
                entries.clear();
            }
        }
        entries.insert((table, word), (weight, Instant::now()));
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

/// Which words a ranked query sends, from the score each word gives the first records it
/// matches. BM25's weight of a word is `ln((N - n + 0.5) / (n + 0.5))` for a word in `n` of `N`
/// records, and a record holding it once, of average length, scores about that weight; so the
/// score tells how many records hold the word without counting them. Words in half the records
/// or more weigh nothing and are dropped; the others are kept rarest first while the records
/// they match fit in [`SCORING_BUDGET`]. When even the rarest word matches too many records to
/// rank, the query is not ranked and looks for that word alone.
fn plan_words(words: &[String], weights: &[Option<f64>], total: f64) -> Plan {
    // Words no record holds find nothing.
    let held: Vec<(&String, f64)> = words
        .iter()
        .zip(weights)
        .filter_map(|(word, weight)| weight.map(|weight| (word, weight)))
        .collect();
    let Some(first) = held.first() else {
        return Plan::Unranked(words.first().cloned().unwrap_or_default());
    };
    // A table this small is ranked whole, whatever its words.
    if total <= SCORING_BUDGET {
        return Plan::Ranked(held.iter().map(|(word, _)| (*word).clone()).collect());
    }
    let mut estimated: Vec<(f64, &String)> = held
        .iter()
        .filter(|(_, weight)| *weight > 0.0)
        .map(|(word, weight)| (total / (weight.exp() + 1.0), *word))
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
    // Every word is common: the least common (or, if all weigh nothing, the first) alone.
    let rarest = estimated
        .first()
        .map(|(_, word)| (*word).clone())
        .unwrap_or_else(|| first.0.clone());
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

/// A ranked or unranked query of one table, as planned.
struct Planned {
    plan: Plan,
    ranked: Vec<Ranked>,
}

impl Store {
    /// How to look for `words` in `table` (see [`plan_words`]): the weight of each word is
    /// probed once (the score of the first records holding it) and then remembered.
    async fn plan(&self, table: &'static str, words: &[String]) -> Result<Plan, StorageError> {
        let field = if table == "entry" {
            "text"
        } else {
            "search_text"
        };
        let sequence = if table == "article" {
            "sequence:article"
        } else {
            "sequence:ticket"
        };
        let mut weights: Vec<Option<Option<f64>>> = words
            .iter()
            .map(|word| self.weights.get(table, word))
            .collect();
        let missing: Vec<usize> = (0..words.len())
            .filter(|index| weights[*index].is_none())
            .collect();
        let mut statements = format!("RETURN {sequence}.value OR 0;\n");
        for index in &missing {
            statements.push_str(&format!(
                "RETURN math::max((SELECT VALUE search::score(0) FROM {table} WHERE {field} @0@ $word_{index} LIMIT 3));\n"
            ));
        }
        let mut query = self.db().query(statements);
        for index in &missing {
            query = query.bind((format!("word_{index}"), words[*index].clone()));
        }
        let mut response = query.await?.check()?;
        // Numbers come back as integers or floats, as SurrealDB has them.
        let number = |value: Option<serde_json::Value>| value.as_ref().and_then(|v| v.as_f64());
        let total = number(response.take(0)?).unwrap_or(0.0).max(1.0);
        for (position, index) in missing.iter().enumerate() {
            let weight = number(response.take(position + 1)?);
            // A word no record holds yet is probed again next time: it may be written any moment.
            if weight.is_some() {
                self.weights.put(table, words[*index].clone(), weight);
            }
            weights[*index] = Some(weight);
        }
        let weights: Vec<Option<f64>> = weights.into_iter().map(Option::flatten).collect();
        Ok(plan_words(words, &weights, total))
    }

    /// The best `limit` records of `table` for `words`, ids and scores only.
    async fn rank(
        &self,
        table: &'static str,
        words: &[String],
        statuses: &[&str],
        limit: usize,
    ) -> Result<Planned, StorageError> {
        let plan = self.plan(table, words).await?;
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

    /// Tickets matching `words` (by their text or their timeline), best first, at most
    /// `limit`, only with one of `statuses` when any are given, never `exclude`; and published
    /// articles matching them when `articles`.
    async fn hits(
        &self,
        words: &[String],
        tickets: bool,
        statuses: &[Status],
        exclude: Option<u64>,
        articles: bool,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StorageError> {
        let statuses: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
        // One more than asked, as `exclude` may be among them.
        let wanted = limit + 1;
        let (ticket_ranks, entry_ranks) = if tickets {
            (
                Some(self.rank("ticket", words, &statuses, wanted).await?),
                Some(self.rank("entry", words, &[], wanted).await?),
            )
        } else {
            (None, None)
        };
        let article_ranks = if articles {
            Some(self.rank("article", words, &[], wanted).await?)
        } else {
            None
        };
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
                query.scope != SearchScope::Articles,
                &query.statuses,
                None,
                query.scope != SearchScope::Tickets,
                wanted,
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
                true,
                &[Status::Resolved, Status::Closed],
                exclude.map(|reference| reference.number()),
                true,
                SUGGESTIONS,
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

    /// The weight BM25 gives a word in `n` of `total` records.
    fn weight(n: f64, total: f64) -> Option<f64> {
        Some(((total - n + 0.5) / (n + 0.5)).ln().max(0.0))
    }

    #[test]
    fn rare_words_are_ranked_and_common_ones_left_out() {
        let total = 100_000.0;
        let planned = plan_words(
            &words(&["printer", "the", "blank", "driver", "spooler", "zzyzx"]),
            &[
                weight(30_000.0, total),
                weight(90_000.0, total),
                weight(200.0, total),
                weight(150.0, total),
                weight(3.0, total),
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
    fn in_a_small_help_desk_every_word_held_is_ranked() {
        // Even words in most records: with two articles, a word in one weighs nothing.
        let total = 2.0;
        let planned = plan_words(
            &words(&["spectrograph", "readings", "nowhere"]),
            &[weight(1.0, total), weight(2.0, total), None],
            total,
        );
        assert_eq!(planned, Plan::Ranked(words(&["spectrograph", "readings"])));
        assert_eq!(
            plan_words(&words(&["nowhere"]), &[None], total),
            Plan::Unranked("nowhere".into())
        );
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
