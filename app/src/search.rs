//! Text search: how ticket text and a search query are cut into words.
//!
//! Search matches whole words, ignoring case: a ticket matches a query when every word of the
//! query is one of the ticket's words. A word is a run of letters and digits, so punctuation
//! separates words (`tray-2` is `tray` and `2`). The same function cuts both sides, which is what
//! keeps the stored words and the query in agreement.

/// Words longer than this are cut to it, on both sides, so that a pasted blob cannot make a huge
/// index key and still matches itself.
pub const MAX_WORD_CHARS: usize = 64;

/// The most words one query may hold.
pub const MAX_QUERY_WORDS: usize = 8;

/// The words of a search query: at least one, at most [`MAX_QUERY_WORDS`]; otherwise an error
/// naming `q`.
pub fn query_words(text: &str) -> Result<Vec<String>, crate::requests::FieldError> {
    use crate::requests::FieldError;
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

/// The distinct lower-case words of `text`, in first-seen order.
pub fn words(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in text
        .split(|character: char| !character.is_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        let word: String = word
            .chars()
            .take(MAX_WORD_CHARS)
            .collect::<String>()
            .to_lowercase();
        if !found.contains(&word) {
            found.push(word);
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
