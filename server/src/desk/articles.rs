//! Articles of the knowledge base: viewers read them, agents write them. An article names the
//! tickets it was written from, which must exist, and a change is made from the revision its
//! author read, so that nobody's edit is undone unseen.

use super::Desk;
use crate::storage::{StorageError, Store};
use app::accounts::Principal;
use app::articles::{Article, ArticleDraft, ArticlePage, ArticlePatch, ArticleVersion, NewArticle};
use app::fields::FieldError;
use app::ids::ArticleId;
use app::model::{ArticleStatus, Role, TicketRef};
use app::service::{ArticleService, HelpDeskError};

fn missing(id: ArticleId) -> HelpDeskError {
    HelpDeskError::Missing {
        kind: ArticleId::KIND,
        id: id.to_string(),
    }
}

async fn load(store: &Store, id: ArticleId) -> Result<Article, HelpDeskError> {
    store
        .load_article(id.number())
        .await?
        .ok_or_else(|| missing(id))
}

/// Refuses ticket references that name no ticket, naming the first (`tickets[1]`).
async fn check_tickets_exist(store: &Store, tickets: &[TicketRef]) -> Result<(), HelpDeskError> {
    if tickets.is_empty() {
        return Ok(());
    }
    let numbers: Vec<u64> = tickets.iter().map(|ticket| ticket.number()).collect();
    let exists = store.tickets_exist(&numbers).await?;
    match exists.iter().position(|exists| !exists) {
        Some(index) => Err(FieldError::new(
            &format!("tickets[{index}]"),
            format!("no ticket {} exists", tickets[index]),
        )
        .into()),
        None => Ok(()),
    }
}

#[async_trait::async_trait]
impl ArticleService for Desk {
    async fn create_article(
        &self,
        caller: &Principal,
        draft: ArticleDraft,
    ) -> Result<Article, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        check_tickets_exist(self.store(), &draft.tickets).await?;
        let number = self.store().insert_article(&draft, &agent.author()).await?;
        let id = ArticleId::new(number)
            .ok_or_else(|| StorageError::Corrupt("an article was numbered 0".into()))?;
        tracing::info!(actor = %agent.email, article = %id, "article created");
        load(self.store(), id).await
    }

    async fn article(&self, caller: &Principal, id: ArticleId) -> Result<Article, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), id).await
    }

    async fn update_article(
        &self,
        caller: &Principal,
        id: ArticleId,
        patch: ArticlePatch,
    ) -> Result<Article, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        let current = load(self.store(), id).await?;
        if patch.revision != current.revision {
            return Err(HelpDeskError::Conflict(format!(
                "article {id} is at revision {}, not {}; read it again",
                current.revision, patch.revision
            )));
        }
        let revision = patch.revision;
        let draft = patch.apply(&current)?;
        // Nothing to change (`{}`, or what it already says): no new revision.
        if draft.leaves_unchanged(&current) {
            return Ok(current);
        }
        check_tickets_exist(self.store(), &draft.tickets).await?;
        // The write itself only applies over `revision`: an edit saved since the read above
        // refuses this one.
        let written = self
            .store()
            .replace_article(id.number(), revision, &draft, &agent.author())
            .await?;
        if !written {
            return Err(HelpDeskError::Conflict(format!(
                "article {id} changed since revision {revision}; read it again"
            )));
        }
        tracing::info!(actor = %agent.email, article = %id, revision = revision + 1, "article changed");
        load(self.store(), id).await
    }

    async fn articles(
        &self,
        caller: &Principal,
        status: Option<ArticleStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<ArticlePage, HelpDeskError> {
        caller.require(Role::Viewer)?;
        let before =
            match cursor {
                None => None,
                Some(text) => Some(text.parse::<u64>().map_err(|_| {
                    FieldError::new("cursor", "is not a cursor this server gave out")
                })?),
            };
        Ok(self.store().list_articles(status, before, limit).await?)
    }

    async fn article_history(
        &self,
        caller: &Principal,
        id: ArticleId,
    ) -> Result<Vec<ArticleVersion>, HelpDeskError> {
        caller.require(Role::Viewer)?;
        load(self.store(), id).await?;
        Ok(self.store().article_versions(id.number()).await?)
    }

    async fn article_from_ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<NewArticle, HelpDeskError> {
        caller.require(Role::Viewer)?;
        let ticket = super::tickets::load(self.store(), reference)
            .await?
            .into_ticket()?;
        let entries = self.store().entries(reference).await?;
        Ok(app::articles::from_ticket(&app::model::TicketDetail {
            ticket,
            entries,
        }))
    }
}
