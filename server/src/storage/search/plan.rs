//! Which words a query sends to the full-text index, planned from about how many records hold
//! each: BM25 scores every record a query matches before it can rank them, so common words are
//! left out once rarer ones have used the query's budget.

use crate::storage::{StorageError, Store};

/// Which words a ranked query sends, from about how many records hold each (`records`, of
/// `total`). Words in half the records or more weigh nothing in BM25 and are dropped; the others
/// are kept rarest first while the records they match fit in `budget`. When even the
/// rarest word matches too many records to rank, the query is not ranked and looks for that word
/// alone.
pub(super) fn plan_words(words: &[String], records: &[f64], total: f64, budget: f64) -> Plan {
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
pub(super) enum Plan {
    /// Any of these words, best first.
    Ranked(Vec<String>),
    /// This word, in the order found.
    Unranked(String),
}

impl Plan {
    pub(super) fn ranked(&self) -> bool {
        matches!(self, Plan::Ranked(_))
    }

    pub(super) fn query_text(&self) -> String {
        match self {
            Plan::Ranked(words) => words.join(" "),
            Plan::Unranked(word) => word.clone(),
        }
    }
}

impl Store {
    /// How to look for `words` in `table` (see [`plan_words`]), from the table's sample.
    pub(super) async fn plan(
        &self,
        table: &'static str,
        words: &[String],
        budget: f64,
    ) -> Result<Plan, StorageError> {
        let sample = self.sample(table).await?;
        let records: Vec<f64> = words.iter().map(|word| sample.records(word)).collect();
        Ok(plan_words(words, &records, sample.total, budget))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SEARCH_BUDGET, SUGGESTION_BUDGET};
    use super::*;

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
}
