//! Full-text search and suggestions: what viewers may find across tickets, timelines and
//! articles.

use super::Desk;
use app::accounts::Principal;
use app::model::{Role, TicketRef};
use app::search::{SearchQuery, SearchResults, Suggestions};
use app::service::{HelpDeskError, SearchService};

#[async_trait::async_trait]
impl SearchService for Desk {
    async fn search(
        &self,
        caller: &Principal,
        query: SearchQuery,
    ) -> Result<SearchResults, HelpDeskError> {
        caller.require(Role::Viewer)?;
        Ok(self.store().search(&query).await?)
    }

    async fn suggestions(
        &self,
        caller: &Principal,
        text: &str,
    ) -> Result<Suggestions, HelpDeskError> {
        caller.require(Role::Viewer)?;
        Ok(self.store().suggestions(text, None, None).await?)
    }

    async fn ticket_suggestions(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<Suggestions, HelpDeskError> {
        caller.require(Role::Viewer)?;
        let ticket = super::tickets::load(self.store(), reference).await?;
        // A ticket is not its own suggestion; a crash ticket's fingerprint finds the articles
        // written for other tickets of the same crash.
        let text = format!("{} {}", ticket.title, ticket.description);
        Ok(self
            .store()
            .suggestions(&text, Some(reference), ticket.fingerprint.as_deref())
            .await?)
    }
}
