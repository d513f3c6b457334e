//! Knowledge-base articles: how a known problem shows itself and how it is fixed, written from
//! the tickets that solved it or from scratch, in Markdown, with every edit kept.

use crate::fields::{FieldError, checked_text};
use crate::model::{ArticleStatus, MAX_TEXT_CHARS, MAX_TITLE_CHARS, TicketRef};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The most tags one article has.
pub const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 40;
/// The most tickets one article names.
pub const MAX_ARTICLE_TICKETS: usize = 50;

/// An article, as the API answers it. `symptoms` and `resolution` are Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Article {
    /// Its number.
    pub id: u64,
    /// What the problem is, in one line.
    pub title: String,
    /// How the problem shows itself: what callers say, error messages (Markdown).
    pub symptoms: String,
    /// The steps that fix it (Markdown).
    pub resolution: String,
    /// Lower-case labels.
    pub tags: Vec<String>,
    /// The tickets it came from or applies to.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>, example = json!(["TCK-42"])))]
    pub tickets: Vec<TicketRef>,
    /// Draft or published.
    pub status: ArticleStatus,
    /// Counts the edits: 1 when created. Send it back to change the article.
    pub revision: u64,
    /// Who wrote it first.
    pub author: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// An article with its text rendered to safe HTML, for the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedArticle {
    /// The article.
    pub article: Article,
    /// `symptoms` as HTML (no raw HTML of the author's survives).
    pub symptoms_html: String,
    /// `resolution` as HTML.
    pub resolution_html: String,
}

/// A page of articles, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArticlePage {
    /// Newest first.
    pub items: Vec<Article>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One version of an article, as its history keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArticleVersion {
    /// The revision this version is (1 is the first).
    pub revision: u64,
    /// Who wrote this version.
    pub author: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// Its title.
    pub title: String,
    /// Its symptoms.
    pub symptoms: String,
    /// Its resolution.
    pub resolution: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its tickets.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<String>))]
    pub tickets: Vec<TicketRef>,
    /// Its status.
    pub status: ArticleStatus,
}

/// What a client sends to create an article.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    /// Required.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// How the problem shows itself (Markdown).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub symptoms: String,
    /// The steps that fix it (Markdown); required to publish.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub resolution: String,
    /// At most 20; letters, digits, `-`, `_`, `.` and spaces; stored in lower case.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub tags: Vec<String>,
    /// References of existing tickets (`TCK-42`), at most 50.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub tickets: Vec<String>,
    /// Defaults to `draft`.
    #[serde(default)]
    pub status: Option<ArticleStatus>,
}

/// What a client sends to change an article: only the fields present change. `revision` is
/// the revision the change was made from; a newer one on the server refuses the change (409).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    /// Required: the revision the change was made from.
    pub revision: u64,
    /// A new title.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    /// New symptoms.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub symptoms: Option<String>,
    /// A new resolution.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub resolution: Option<String>,
    /// New tags (replacing the old).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub tags: Option<Vec<String>>,
    /// New tickets (replacing the old).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 50))]
    pub tickets: Option<Vec<String>>,
    /// Publish or withdraw.
    #[serde(default)]
    pub status: Option<ArticleStatus>,
}

/// An article's fields after they were checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArticleDraft {
    /// Trimmed, non-empty.
    pub title: String,
    /// Trimmed.
    pub symptoms: String,
    /// Trimmed; non-empty when published.
    pub resolution: String,
    /// Lower case, distinct, in the order given.
    pub tags: Vec<String>,
    /// Distinct, in the order given.
    pub tickets: Vec<TicketRef>,
    /// Draft or published.
    pub status: ArticleStatus,
}

impl NewArticle {
    /// Checks every field.
    pub fn parse(self) -> Result<ArticleDraft, FieldError> {
        ArticleDraft::checked(
            &self.title,
            &self.symptoms,
            &self.resolution,
            self.tags,
            self.tickets,
            self.status.unwrap_or(ArticleStatus::Draft),
        )
    }
}

impl ArticlePatch {
    /// Applies the patch to the current article and checks the result.
    pub fn apply(self, current: &Article) -> Result<ArticleDraft, FieldError> {
        ArticleDraft::checked(
            self.title.as_deref().unwrap_or(&current.title),
            self.symptoms.as_deref().unwrap_or(&current.symptoms),
            self.resolution.as_deref().unwrap_or(&current.resolution),
            self.tags.unwrap_or_else(|| current.tags.clone()),
            self.tickets.unwrap_or_else(|| {
                current
                    .tickets
                    .iter()
                    .map(|reference| reference.to_string())
                    .collect()
            }),
            self.status.unwrap_or(current.status),
        )
    }
}

impl ArticleDraft {
    /// Whether saving this over `article` would change nothing (no new revision is made).
    pub fn leaves_unchanged(&self, article: &Article) -> bool {
        self.title == article.title
            && self.symptoms == article.symptoms
            && self.resolution == article.resolution
            && self.tags == article.tags
            && self.tickets == article.tickets
            && self.status == article.status
    }

    fn checked(
        title: &str,
        symptoms: &str,
        resolution: &str,
        tags: Vec<String>,
        tickets: Vec<String>,
        status: ArticleStatus,
    ) -> Result<ArticleDraft, FieldError> {
        let resolution = checked_text("resolution", resolution, MAX_TEXT_CHARS, false)?;
        if status == ArticleStatus::Published && resolution.is_empty() {
            return Err(FieldError::new(
                "resolution",
                "is required to publish an article",
            ));
        }
        Ok(ArticleDraft {
            title: checked_text("title", title, MAX_TITLE_CHARS, true)?,
            symptoms: checked_text("symptoms", symptoms, MAX_TEXT_CHARS, false)?,
            resolution,
            tags: checked_tags(tags)?,
            tickets: checked_tickets(tickets)?,
            status,
        })
    }
}

/// An article prefilled from a ticket: its title; its description, environment and how it
/// happened as the symptoms; the attempts that failed, the one that worked and the resolution
/// as the steps. Crash tickets are tagged `crash`.
pub fn from_ticket(detail: &crate::model::TicketDetail) -> NewArticle {
    use crate::model::{Channel, EntryKind, Outcome};
    let ticket = &detail.ticket;
    let mut symptoms = vec![ticket.description.trim().to_string()];
    if !ticket.environment.trim().is_empty() {
        symptoms.push(format!("**Environment:** {}", ticket.environment.trim()));
    }
    if !ticket.manner.trim().is_empty() {
        symptoms.push(format!("**When:** {}", ticket.manner.trim()));
    }
    let attempts = |wanted: &[Outcome]| -> Vec<String> {
        detail
            .entries
            .iter()
            .filter(|entry| {
                entry.kind == EntryKind::Attempt
                    && entry
                        .outcome
                        .is_some_and(|outcome| wanted.contains(&outcome))
            })
            .map(|entry| format!("- {}", entry.body.trim().replace('\n', "\n  ")))
            .collect()
    };
    let mut resolution = Vec::new();
    let failed = attempts(&[Outcome::Failed, Outcome::Partly]);
    if !failed.is_empty() {
        resolution.push(format!("What did not help:\n\n{}", failed.join("\n")));
    }
    let worked = attempts(&[Outcome::Worked]);
    if !worked.is_empty() {
        resolution.push(format!("What worked:\n\n{}", worked.join("\n")));
    }
    if let Some(text) = ticket
        .resolution
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        resolution.push(text.trim().to_string());
    }
    if let Some(release) = &ticket.resolved_in_release {
        resolution.push(format!("Fixed in release {release}."));
    }
    NewArticle {
        title: ticket.title.clone(),
        symptoms: within_text_limit(
            symptoms
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n"),
        ),
        resolution: within_text_limit(resolution.join("\n\n")),
        tags: if ticket.channel == Channel::Crash {
            vec!["crash".to_string()]
        } else {
            Vec::new()
        },
        tickets: vec![ticket.reference.to_string()],
        status: Some(ArticleStatus::Published),
    }
}

/// A drafted text cut to what an article may hold (a ticket's fields together may hold more),
/// ending in `…` where it was cut, so that the draft can be saved as it is.
fn within_text_limit(text: String) -> String {
    if text.chars().count() <= MAX_TEXT_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_TEXT_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn checked_tags(tags: Vec<String>) -> Result<Vec<String>, FieldError> {
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            "tags",
            format!("has {} tags; the limit is {MAX_TAGS}", tags.len()),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(tags.len());
    for (index, tag) in tags.iter().enumerate() {
        let field = format!("tags[{index}]");
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.is_empty() {
            return Err(FieldError::new(&field, "is empty"));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(FieldError::new(
                &field,
                format!("is longer than {MAX_TAG_CHARS} characters"),
            ));
        }
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
        {
            return Err(FieldError::new(
                &field,
                "may hold only letters, digits, spaces, `-`, `_` and `.`",
            ));
        }
        let tag = tag.to_lowercase();
        if !checked.contains(&tag) {
            checked.push(tag);
        }
    }
    Ok(checked)
}

fn checked_tickets(tickets: Vec<String>) -> Result<Vec<TicketRef>, FieldError> {
    if tickets.len() > MAX_ARTICLE_TICKETS {
        return Err(FieldError::new(
            "tickets",
            format!(
                "names {} tickets; the limit is {MAX_ARTICLE_TICKETS}",
                tickets.len()
            ),
        ));
    }
    let mut checked: Vec<TicketRef> = Vec::with_capacity(tickets.len());
    for (index, text) in tickets.iter().enumerate() {
        let reference: TicketRef =
            text.trim()
                .parse()
                .map_err(|error: crate::model::InvalidReference| {
                    FieldError::new(&format!("tickets[{index}]"), error.to_string())
                })?;
        if !checked.contains(&reference) {
            checked.push(reference);
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_article() -> NewArticle {
        NewArticle {
            title: "  Payslips print blank ".into(),
            symptoms: "The printer feeds **blank** pages.".into(),
            resolution: "1. Reinstall the PDF driver".into(),
            tags: vec![
                "Printing".into(),
                " pdf   driver ".into(),
                "printing".into(),
            ],
            tickets: vec!["TCK-7".into(), "tck-7".into(), " TCK-9 ".into()],
            status: Some(ArticleStatus::Published),
        }
    }

    #[test]
    fn an_article_is_trimmed_and_its_lists_made_distinct() {
        let draft = new_article().parse().unwrap();
        assert_eq!(draft.title, "Payslips print blank");
        assert_eq!(draft.tags, ["printing", "pdf driver"]);
        assert_eq!(
            draft.tickets,
            [
                TicketRef::from_number(7).unwrap(),
                TicketRef::from_number(9).unwrap()
            ]
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                NewArticle {
                    title: " ".into(),
                    ..new_article()
                },
                "title",
            ),
            (
                NewArticle {
                    tags: vec!["ok".into(), "<script>".into()],
                    ..new_article()
                },
                "tags[1]",
            ),
            (
                NewArticle {
                    tickets: vec!["TCK-1".into(), "ticket seven".into()],
                    ..new_article()
                },
                "tickets[1]",
            ),
            (
                NewArticle {
                    resolution: "  ".into(),
                    ..new_article()
                },
                "resolution",
            ),
            (
                NewArticle {
                    tags: (0..21).map(|n| n.to_string()).collect(),
                    ..new_article()
                },
                "tags",
            ),
        ];
        for (article, field) in cases {
            assert_eq!(article.parse().unwrap_err().field, field);
        }
    }

    #[test]
    fn a_draft_may_have_no_resolution_yet() {
        let draft = NewArticle {
            resolution: String::new(),
            status: None,
            ..new_article()
        }
        .parse()
        .unwrap();
        assert_eq!(draft.status, ArticleStatus::Draft);
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_name() {
        let draft = new_article().parse().unwrap();
        let now = OffsetDateTime::UNIX_EPOCH;
        let current = Article {
            id: 1,
            title: draft.title,
            symptoms: draft.symptoms,
            resolution: draft.resolution,
            tags: draft.tags,
            tickets: draft.tickets,
            status: draft.status,
            revision: 1,
            author: "ada@example.com".into(),
            updated_by: "ada@example.com".into(),
            created_at: now,
            updated_at: now,
        };
        let changed = ArticlePatch {
            revision: 1,
            title: Some("Blank payslips".into()),
            ..ArticlePatch::default()
        }
        .apply(&current)
        .unwrap();
        assert_eq!(changed.title, "Blank payslips");
        assert_eq!(changed.tags, current.tags);
        assert_eq!(changed.tickets, current.tickets);
        let nothing = ArticlePatch {
            revision: 1,
            ..ArticlePatch::default()
        }
        .apply(&current)
        .unwrap();
        assert!(nothing.leaves_unchanged(&current));
        assert!(!changed.leaves_unchanged(&current));
    }
}
