//! Knowledge-base articles in SurrealDB: numbered from their own sequence, changed with
//! optimistic concurrency on `revision`, every version kept as `article_version:[number,
//! revision]` in the same transaction as the change.

use super::records::{decode, format_time, parse_time};
use super::{StorageError, Store, is_conflict, transaction_outcome};
use app::articles::{Article, ArticleDraft, ArticlePage, ArticleVersion};
use app::model::{ArticleStatus, TicketRef};
use serde::Deserialize;
use time::OffsetDateTime;

/// A row of the `article` table (and, with `revision` the version's, of `article_version`).
#[derive(Clone, Debug, Deserialize)]
struct ArticleRecord {
    number: u64,
    title: String,
    symptoms: String,
    resolution: String,
    tags: Vec<String>,
    tickets: Vec<u64>,
    status: ArticleStatus,
    revision: u64,
    author: String,
    #[serde(default)]
    updated_by: String,
    created_at: String,
    #[serde(default)]
    updated_at: String,
}

fn references(numbers: &[u64]) -> Result<Vec<TicketRef>, StorageError> {
    numbers
        .iter()
        .map(|number| {
            TicketRef::from_number(*number)
                .ok_or_else(|| StorageError::Corrupt(format!("article names ticket {number}")))
        })
        .collect()
}

impl ArticleRecord {
    fn into_article(self) -> Result<Article, StorageError> {
        Ok(Article {
            id: self.number,
            tickets: references(&self.tickets)?,
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            title: self.title,
            symptoms: self.symptoms,
            resolution: self.resolution,
            tags: self.tags,
            status: self.status,
            revision: self.revision,
            author: self.author,
            updated_by: self.updated_by,
        })
    }

    fn into_version(self) -> Result<ArticleVersion, StorageError> {
        Ok(ArticleVersion {
            revision: self.revision,
            tickets: references(&self.tickets)?,
            created_at: parse_time(&self.created_at)?,
            author: self.author,
            title: self.title,
            symptoms: self.symptoms,
            resolution: self.resolution,
            tags: self.tags,
            status: self.status,
        })
    }
}

const FIELDS: &str = "number, title, symptoms, resolution, tags, tickets, status, revision, author, updated_by, <string>created_at AS created_at, <string>updated_at AS updated_at";

/// Writes the article at `$revision` (creating it when `$revision` is 1, otherwise only over
/// `$revision - 1`) and keeps the version.
const SAVE_ARTICLE: &str = r#"
BEGIN TRANSACTION;
IF $revision = 1 {
    CREATE type::record('article', $number) CONTENT {
        number: $number,
        title: $draft.title,
        symptoms: $draft.symptoms,
        resolution: $draft.resolution,
        tags: $draft.tags,
        tickets: $tickets,
        status: $draft.status,
        revision: 1,
        author: $author,
        updated_by: $author,
        created_at: <datetime>$now,
        updated_at: <datetime>$now
    };
} ELSE {
    LET $updated = (UPDATE type::record('article', $number) SET
        title = $draft.title,
        symptoms = $draft.symptoms,
        resolution = $draft.resolution,
        tags = $draft.tags,
        tickets = $tickets,
        status = $draft.status,
        revision = $revision,
        updated_by = $author,
        updated_at = <datetime>$now
        WHERE revision = $revision - 1 RETURN AFTER);
    IF array::len($updated) = 0 { THROW 'stale revision: the article changed since it was read' };
};
CREATE type::record('article_version', [$number, $revision]) CONTENT {
    article: $number,
    revision: $revision,
    author: $author,
    created_at: <datetime>$now,
    title: $draft.title,
    symptoms: $draft.symptoms,
    resolution: $draft.resolution,
    tags: $draft.tags,
    tickets: $tickets,
    status: $draft.status
};
COMMIT TRANSACTION;
"#;

impl Store {
    /// Whether each of these tickets exists, in order.
    pub async fn tickets_exist(&self, numbers: &[u64]) -> Result<Vec<bool>, StorageError> {
        let numbers: Vec<i64> = numbers.iter().map(|number| *number as i64).collect();
        let mut response = self
            .db()
            .query("RETURN array::map($numbers, |$number| record::exists(type::record('ticket', $number)))")
            .bind(("numbers", numbers))
            .await?
            .check()?;
        Ok(response.take(0)?)
    }

    async fn save_article(
        &self,
        number: u64,
        revision: u64,
        draft: &ArticleDraft,
        author: &str,
    ) -> Result<(), surrealdb::Error> {
        let tickets: Vec<i64> = draft.tickets.iter().map(|t| t.number() as i64).collect();
        self.db()
            .query(SAVE_ARTICLE)
            .bind(("number", number as i64))
            .bind(("revision", revision as i64))
            .bind(("draft", serde_json::to_value(draft).unwrap_or_default()))
            .bind(("tickets", tickets))
            .bind(("author", author.to_string()))
            .bind(("now", format_time(OffsetDateTime::now_utc())))
            .await
            .and_then(transaction_outcome)
            .map(|_| ())
    }

    /// Creates an article; answers its number. The number is taken first, so an article that
    /// fails to be created leaves a gap, never a duplicate.
    pub async fn insert_article(
        &self,
        draft: &ArticleDraft,
        author: &str,
    ) -> Result<u64, StorageError> {
        let number = super::creator::reserve_numbers(self.db(), "article", 1).await?;
        self.save_article(number, 1, draft, author).await?;
        Ok(number)
    }

    /// An article by number.
    pub async fn load_article(&self, number: u64) -> Result<Option<Article>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "SELECT {FIELDS} FROM type::record('article', $number)"
            ))
            .bind(("number", number as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<ArticleRecord>(rows)?
            .pop()
            .map(ArticleRecord::into_article)
            .transpose()
    }

    /// Writes the next revision of an article made from `expected_revision`, only if the article
    /// is still at that revision (checked inside the write); answers whether it was written.
    pub async fn replace_article(
        &self,
        number: u64,
        expected_revision: u64,
        draft: &ArticleDraft,
        author: &str,
    ) -> Result<bool, StorageError> {
        match self
            .save_article(number, expected_revision + 1, draft, author)
            .await
        {
            Ok(()) => Ok(true),
            Err(error) if error.message().contains("stale revision") || is_conflict(&error) => {
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Articles newest first, after `before` (a number), optionally only those with `status`.
    pub async fn list_articles(
        &self,
        status: Option<ArticleStatus>,
        before: Option<u64>,
        limit: usize,
    ) -> Result<ArticlePage, StorageError> {
        let filter = match status {
            Some(_) => "status = $status AND number < $before",
            None => "number < $before",
        };
        let mut response = self
            .db()
            .query(format!(
                "SELECT {FIELDS} FROM article WHERE {filter} ORDER BY number DESC LIMIT $limit"
            ))
            .bind(("status", status.map(ArticleStatus::as_str).unwrap_or("")))
            .bind(("before", before.unwrap_or(i64::MAX as u64) as i64))
            .bind(("limit", (limit + 1) as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let mut records = decode::<ArticleRecord>(rows)?;
        let next_cursor = if records.len() > limit {
            records.truncate(limit);
            records.last().map(|record| record.number.to_string())
        } else {
            None
        };
        let items = records
            .into_iter()
            .map(ArticleRecord::into_article)
            .collect::<Result<_, _>>()?;
        Ok(ArticlePage { items, next_cursor })
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&self, number: u64) -> Result<Vec<ArticleVersion>, StorageError> {
        let mut response = self
            .db()
            .query(
                "SELECT article AS number, title, symptoms, resolution, tags, tickets, status, revision, author, <string>created_at AS created_at FROM article_version WHERE article = $number ORDER BY revision DESC",
            )
            .bind(("number", number as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<ArticleRecord>(rows)?
            .into_iter()
            .map(ArticleRecord::into_version)
            .collect()
    }

    /// Published articles that name any of these tickets, newest first.
    pub async fn articles_for_tickets(
        &self,
        numbers: &[u64],
    ) -> Result<Vec<Article>, StorageError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let numbers: Vec<i64> = numbers.iter().map(|n| *n as i64).collect();
        let mut response = self
            .db()
            .query(format!(
                "SELECT {FIELDS} FROM article WHERE tickets CONTAINSANY $numbers AND status = 'published' ORDER BY number DESC LIMIT 10"
            ))
            .bind(("numbers", numbers))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<ArticleRecord>(rows)?
            .into_iter()
            .map(ArticleRecord::into_article)
            .collect()
    }
}
