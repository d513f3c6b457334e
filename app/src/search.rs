//! Text search: how ticket text and a search query are cut into words, and the results of
//! full-text search and suggestions.
//!
//! Search matches whole words, ignoring case: a ticket matches a query when every word of the
//! query is one of the ticket's words. A word is a run of letters and digits, so punctuation
//! separates words (`tray-2` is `tray` and `2`). The same function cuts both sides, which is what
//! keeps the stored words and the query in agreement.

use serde::{Deserialize, Serialize};

/// Words longer than this are cut to it, on both sides, so that a pasted blob cannot make a huge
/// index key and still matches itself.
pub const MAX_WORD_CHARS: usize = 64;

/// The most words one query may hold.
pub const MAX_QUERY_WORDS: usize = 8;

/// The words of a search query: at least one, at most [`MAX_QUERY_WORDS`]; otherwise an error
/// naming `q`.
pub fn query_words(text: &str) -> Result<Vec<String>, crate::fields::FieldError> {
    use crate::fields::FieldError;
    let words = words(text);
    if words.is_empty() {
        return Err(FieldError::new(
            "q",
            "has no letters or digits to search for",
        ));
    }
    if words.len() > MAX_QUERY_WORDS {
        return Err(FieldError::new(
            "q",
            format!("has {} words; the limit is {MAX_QUERY_WORDS}", words.len()),
        ));
    }
    Ok(words)
}

/// The distinct lower-case words of `text`, in first-seen order. Linear in the text's length.
pub fn words(text: &str) -> Vec<String> {
    distinct_in_order(
        text.split(|character: char| !character.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| {
                word.chars()
                    .take(MAX_WORD_CHARS)
                    .collect::<String>()
                    .to_lowercase()
            }),
    )
}

/// The items, each once, in first-seen order: one hash lookup per item, so that a text of many
/// distinct words costs time in proportion to its length (a list searched for every word would
/// cost its square).
pub fn distinct_in_order<T: std::hash::Hash + Eq + Clone>(
    items: impl IntoIterator<Item = T>,
) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

/// The words a ticket is found by: those of its title, description and customer, sorted.
pub fn ticket_words(title: &str, description: &str, customer: &str) -> Vec<String> {
    let mut all: Vec<String> = [title, description, customer]
        .iter()
        .flat_map(|text| words(text))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Where the database marks the start of a matched word in a highlighted text (a private-use
/// character, so no author's text is mistaken for markup).
pub const MARK_START: char = '\u{E000}';
/// Where it marks the end.
pub const MARK_END: char = '\u{E001}';

/// A piece of a found text: matched words are their own pieces, so that a page can emphasise
/// them without any HTML passing through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// Whether it is a matched word.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub matched: bool,
}

/// Cuts a text the database highlighted (with [`MARK_START`] and [`MARK_END`]) into fragments:
/// the part around the first match, at most `max_chars` long, with `…` where it was cut.
pub fn fragments(marked: &str, max_chars: usize) -> Vec<Fragment> {
    let chars: Vec<char> = marked.chars().collect();
    let first_match = chars.iter().position(|c| *c == MARK_START).unwrap_or(0);
    // Start a little before the first match, at a word boundary.
    let mut start = first_match.saturating_sub(max_chars / 4);
    while start > 0 && start < first_match && !chars[start - 1].is_whitespace() {
        start += 1;
    }
    let mut pieces: Vec<Fragment> = Vec::new();
    let mut current = String::new();
    let mut matched = false;
    let mut shown = 0;
    if start > 0 {
        current.push('…');
    }
    let mut index = start;
    while index < chars.len() {
        let c = chars[index];
        index += 1;
        match c {
            MARK_START | MARK_END => {
                if !current.is_empty() {
                    pieces.push(Fragment {
                        text: std::mem::take(&mut current),
                        matched,
                    });
                }
                matched = c == MARK_START;
            }
            _ => {
                if shown >= max_chars && !matched {
                    current.push('…');
                    break;
                }
                current.push(c);
                shown += 1;
            }
        }
    }
    if !current.is_empty() {
        pieces.push(Fragment {
            text: current,
            matched,
        });
    }
    pieces
}

/// Words too common to tell problems apart; a query leaves them out.
const COMMON_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "but", "by", "can", "cannot", "could", "did", "do", "does", "doing",
    "for", "from", "get", "gets", "got", "had", "has", "have", "he", "her", "his", "how", "i",
    "if", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not", "now", "of", "on",
    "or", "our", "out", "she", "so", "some", "than", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "to", "up", "us", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "will", "with", "would", "you", "your",
];

/// The most words a search or suggestion query sends to the full-text index.
pub const MAX_TEXT_QUERY_WORDS: usize = 16;

/// The words of a text that are worth looking for: without common words and single letters, at
/// most [`MAX_TEXT_QUERY_WORDS`], in first-seen order.
pub fn significant_words(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|word| word.chars().count() > 1 && !COMMON_WORDS.contains(&word.as_str()))
        .take(MAX_TEXT_QUERY_WORDS)
        .collect()
}

/// What a search found: a ticket (matched by its title, description, resolution or timeline)
/// or an article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// `ticket` or `article`.
    pub kind: HitKind,
    /// The ticket's reference (`TCK-42`) or the article's id (`KB-7`).
    pub reference: String,
    /// Where the dashboard shows it.
    pub href: String,
    /// The title, with the matched words marked.
    pub title: Vec<Fragment>,
    /// The best-matching passage, with the matched words marked.
    pub snippet: Vec<Fragment>,
    /// The ticket's status (`resolved`…) or the article's (`published`, `draft`).
    pub status: String,
    /// BM25 relevance: higher is better; titles count double.
    pub score: f64,
}

/// What a hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// A ticket.
    Ticket,
    /// A knowledge-base article.
    Article,
}

/// A page of search results, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// Best first.
    pub items: Vec<SearchHit>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// What helped before with a problem like this one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Suggestions {
    /// Published articles that may help, best first. For a crash ticket, articles written for
    /// tickets of the same crash come first.
    pub articles: Vec<SearchHit>,
    /// Resolved (or closed) tickets like this one, best first, with their resolution as snippet.
    pub tickets: Vec<SearchHit>,
}

/// Which records a search looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SearchScope {
    /// Tickets and published articles.
    #[default]
    All,
    /// Tickets only.
    Tickets,
    /// Published articles only.
    Articles,
}

/// A checked search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchQuery {
    /// The words to look for (see [`significant_words`]).
    pub words: Vec<String>,
    /// Tickets, articles or both.
    pub scope: SearchScope,
    /// Only tickets with these statuses (empty: any).
    pub statuses: Vec<crate::model::Status>,
    /// How many results to skip.
    pub offset: usize,
    /// How many to answer.
    pub limit: usize,
}

/// The most results a search ranks; pages go no further.
pub const MAX_SEARCH_RESULTS: usize = 200;

impl SearchScope {
    /// `all` (or nothing), `tickets` or `articles`.
    pub fn parse(text: &str) -> Result<SearchScope, crate::fields::FieldError> {
        match text {
            "" | "all" => Ok(SearchScope::All),
            "tickets" => Ok(SearchScope::Tickets),
            "articles" => Ok(SearchScope::Articles),
            _ => Err(crate::fields::FieldError::new(
                "scope",
                "must be all, tickets or articles",
            )),
        }
    }
}

/// The statuses a search keeps tickets with, as a filter names them: nothing or `any` for every
/// status, `open` for every open one, or statuses apart by commas (`resolved,closed`).
pub fn parse_statuses(text: &str) -> Result<Vec<crate::model::Status>, crate::fields::FieldError> {
    use crate::model::Status;
    let mut statuses = Vec::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "any")
    {
        if part == "open" {
            statuses.extend(Status::ALL.iter().filter(|status| status.is_open()));
            continue;
        }
        let status = part
            .parse::<Status>()
            .map_err(|error| crate::fields::FieldError::new("status", error.to_string()))?;
        statuses.push(status);
    }
    statuses.dedup();
    Ok(statuses)
}

impl SearchQuery {
    /// Checks a search: `q` must hold a word worth looking for.
    pub fn parse(
        q: &str,
        scope: SearchScope,
        statuses: Vec<crate::model::Status>,
        offset: usize,
        limit: usize,
    ) -> Result<SearchQuery, crate::fields::FieldError> {
        let words = significant_words(q);
        if words.is_empty() {
            return Err(crate::fields::FieldError::new(
                "q",
                "has no word to search for (common words such as `the` are left out)",
            ));
        }
        if offset >= MAX_SEARCH_RESULTS {
            return Err(crate::fields::FieldError::new(
                "cursor",
                format!("results go no further than {MAX_SEARCH_RESULTS}"),
            ));
        }
        Ok(SearchQuery {
            words,
            scope,
            statuses,
            offset,
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_filter_names_statuses_open_or_any() {
        use crate::model::Status;
        assert_eq!(parse_statuses("").unwrap(), []);
        assert_eq!(parse_statuses("any").unwrap(), []);
        assert_eq!(
            parse_statuses("resolved, closed").unwrap(),
            [Status::Resolved, Status::Closed]
        );
        let open = parse_statuses("open").unwrap();
        assert!(!open.is_empty() && open.iter().all(|status| status.is_open()));
        assert_eq!(parse_statuses("resolved,lost").unwrap_err().field, "status");
        assert_eq!(SearchScope::parse("").unwrap(), SearchScope::All);
        assert_eq!(
            SearchScope::parse("articles").unwrap(),
            SearchScope::Articles
        );
        assert_eq!(SearchScope::parse("files").unwrap_err().field, "scope");
    }

    /// An item that counts how often it is hashed or compared.
    #[derive(Clone)]
    struct Counted(u32, std::rc::Rc<std::cell::Cell<u64>>);

    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            self.1.set(self.1.get() + 1);
            self.0 == other.0
        }
    }
    impl Eq for Counted {}
    impl std::hash::Hash for Counted {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.1.set(self.1.get() + 1);
            self.0.hash(state);
        }
    }

    fn work_to_deduplicate(distinct: u32) -> u64 {
        let counter = std::rc::Rc::new(std::cell::Cell::new(0));
        let items = (0..distinct)
            .chain(0..distinct)
            .map(|n| Counted(n, counter.clone()));
        assert_eq!(distinct_in_order(items).len(), distinct as usize);
        counter.get()
    }

    #[test]
    fn removing_repeated_words_takes_work_in_proportion_to_the_words() {
        // Ten times the words may take about ten times the work, never a hundred times.
        let small = work_to_deduplicate(1_000);
        let large = work_to_deduplicate(10_000);
        assert!(large <= small * 15, "{small} then {large}");
        assert_eq!(
            distinct_in_order(["b", "a", "b", "c", "a"]),
            ["b", "a", "c"]
        );
    }

    #[test]
    fn words_are_runs_of_letters_and_digits_in_lower_case() {
        assert_eq!(
            words("Printer jams on tray-2, PRINTER says: E42!"),
            ["printer", "jams", "on", "tray", "2", "says", "e42"]
        );
    }

    #[test]
    fn words_keep_letters_beyond_ascii() {
        assert_eq!(
            words("Drucker läuft NICHT — Ärger"),
            ["drucker", "läuft", "nicht", "ärger"]
        );
    }

    #[test]
    fn text_without_letters_or_digits_has_no_words() {
        assert!(words(" -- !? ").is_empty());
    }

    #[test]
    fn long_words_are_cut_the_same_way_on_both_sides() {
        let blob = "x".repeat(500);
        let stored = ticket_words(&blob, "", "");
        assert_eq!(stored, ["x".repeat(MAX_WORD_CHARS)]);
        assert_eq!(words(&blob), stored);
    }

    #[test]
    fn a_ticket_is_found_by_title_description_and_customer_words() {
        assert_eq!(
            ticket_words("VPN drops", "drops every hour", "ACME Ltd"),
            ["acme", "drops", "every", "hour", "ltd", "vpn"]
        );
    }

    fn marked(text: &str) -> String {
        text.replace('[', &MARK_START.to_string())
            .replace(']', &MARK_END.to_string())
    }

    #[test]
    fn highlighted_text_becomes_fragments() {
        let pieces = fragments(&marked("The [printer] prints [blank] pages"), 100);
        let texts: Vec<(&str, bool)> = pieces
            .iter()
            .map(|piece| (piece.text.as_str(), piece.matched))
            .collect();
        assert_eq!(
            texts,
            [
                ("The ", false),
                ("printer", true),
                (" prints ", false),
                ("blank", true),
                (" pages", false)
            ]
        );
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_match() {
        let text = format!(
            "{} the [driver] crashed {}",
            "word ".repeat(100),
            "more ".repeat(100)
        );
        let pieces = fragments(&marked(&text), 40);
        assert!(pieces[0].text.starts_with('…'), "{pieces:?}");
        assert!(
            pieces
                .iter()
                .any(|piece| piece.matched && piece.text == "driver")
        );
        assert!(pieces.last().unwrap().text.ends_with('…'), "{pieces:?}");
        let shown: usize = pieces.iter().map(|piece| piece.text.chars().count()).sum();
        assert!(shown <= 40 + 2, "{shown}");
    }

    #[test]
    fn common_words_are_not_searched_for() {
        assert_eq!(
            significant_words("The printer is not printing a PDF, it's E42"),
            ["printer", "printing", "pdf", "e42"]
        );
        assert!(significant_words("it is the").is_empty());
    }
}
