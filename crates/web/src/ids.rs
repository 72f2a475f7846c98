//! Typed ids from the path.
//!
//! A handler names the id types its route carries (`Ids<PatientId>`,
//! `Ids<(PatientId, NoteId)>`); text that is not an id of that kind names nothing, so it
//! answers exactly as an unknown id does: 404, as a problem for the API ([`Ids`]) and as the
//! not-found page for pages ([`PageIds`]). No handler parses an id by hand.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::pages::PageError;

/// The path's ids for a JSON API handler.
#[derive(Debug, Clone, Copy)]
pub struct Ids<T>(pub T);

/// The path's ids for a page handler.
#[derive(Debug, Clone, Copy)]
pub struct PageIds<T>(pub T);

async fn from_path<T, S>(parts: &mut Parts, state: &S) -> Result<T, ApiError>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    match Path::<T>::from_request_parts(parts, state).await {
        Ok(Path(ids)) => Ok(ids),
        // The path matched a route, so only its values can be wrong: they name nothing.
        Err(_) => Err(ApiError::NotFound),
    }
}

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        from_path(parts, state).await.map(Ids)
    }
}

impl<T, S> FromRequestParts<S> for PageIds<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        from_path(parts, state)
            .await
            .map(PageIds)
            .map_err(PageError)
    }
}
