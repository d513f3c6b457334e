//! Marking the matched words of what a search shows, cut, folded and stemmed as the database's
//! full-text analyzer does, and cutting snippets around them.

use app::search::{Fragment, MARK_END, MARK_START, fragments};

/// How long a snippet is, in characters.
pub(super) const SNIPPET_CHARS: usize = 240;
/// Marks the words of `text` that the full-text analyzer would match with `stems`, the way it
/// cuts and normalises them: runs of letters or of digits, lower-cased, folded to ASCII and
/// stemmed (Snowball, English). The database's own highlighting reads every match's offsets,
/// which cost more than ranking a page; this marks only what is shown.
pub(super) fn highlight(text: &str, stems: &std::collections::HashSet<String>) -> String {
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
pub(super) fn query_stems(words: &str) -> std::collections::HashSet<String> {
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

fn has_match(text: &str) -> bool {
    text.contains(MARK_START)
}

/// The first of these texts with a match, cut around it; else the first non-empty one.
pub(super) fn snippet(texts: &[&str]) -> Vec<Fragment> {
    let chosen = texts
        .iter()
        .find(|text| has_match(text))
        .or_else(|| texts.iter().find(|text| !text.is_empty()))
        .copied()
        .unwrap_or("");
    fragments(chosen, SNIPPET_CHARS)
}

pub(super) fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| *c != MARK_START && *c != MARK_END)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
