//! How many records hold a word, estimated from a sample of each table's newest records, so that
//! planning a query costs no query. A sample is taken when first needed and again in the
//! background every [`SAMPLE_TTL`].

use super::PageRow;
use super::highlight::query_stems;
use crate::storage::records::decode;
use crate::storage::{StorageError, Store};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How many of a table's newest records the word counts are taken from.
const SAMPLE_SIZE: usize = 2_000;
/// How long a sample is used before it is taken again (in the background: queries meanwhile
/// plan from the old one).
const SAMPLE_TTL: Duration = Duration::from_secs(600);

/// Which words the newest records of a table hold: how many of the sampled records hold each
/// stem, and how many records there are in all.
pub(super) struct Sample {
    taken: Instant,
    /// About how many records the table has.
    pub(super) total: f64,
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
    pub(super) fn records(&self, word: &str) -> f64 {
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

impl Store {
    /// The table's sample: taken now when there is none, taken again in the background when it
    /// is old.
    pub(super) async fn sample(
        &self,
        table: &'static str,
    ) -> Result<std::sync::Arc<Sample>, StorageError> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
