//! The `application/problem+json` (RFC 9457) body of an `ApiError`: rendered per error, or, for
//! refusals, once for the life of the process.
use super::ApiError;
use crate::domain::Refusal;
use actix_web::ResponseError;
use actix_web::web::Bytes;
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::ToSchema;

/// An error (RFC 9457): `code` is the machine-readable reason, `detail` for people.
#[derive(Serialize, ToSchema)]
pub struct Problem<'a> {
    /// `urn:flashsale:problem:<code>`.
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    /// The HTTP status, repeated.
    status: u16,
    detail: String,
    code: &'a str,
    /// The request's `X-Request-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
}

impl ApiError {
    pub(super) fn problem(&self) -> Problem<'static> {
        Problem {
            kind: format!("urn:flashsale:problem:{}", self.code()),
            title: self.title(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            code: self.code(),
            instance: None,
        }
    }
}

impl Problem<'_> {
    pub(super) fn with_instance(self, instance: Option<String>) -> Self {
        Self { instance, ..self }
    }
}

/// Refusals' documents never change: rendered once and shared, so a storm of `sold_out`
/// answers costs no serialization.
static REFUSAL_DOCUMENTS: LazyLock<Vec<(Refusal, Bytes)>> = LazyLock::new(|| {
    Refusal::ALL
        .iter()
        .map(|&refusal| {
            let document = serde_json::to_vec(&ApiError::Refused(refusal).problem());
            (refusal, Bytes::from(document.unwrap_or_default()))
        })
        .collect()
});

/// The refusal's document, with `instance` spliced in before its closing brace when a request
/// id is known (ids hold no character JSON would escape).
pub(super) fn refusal_document(refusal: Refusal, instance: Option<&str>) -> Bytes {
    let document = REFUSAL_DOCUMENTS
        .iter()
        .find(|(known, _)| *known == refusal)
        .map(|(_, document)| document.clone())
        .unwrap_or_default();
    let (Some(id), Some((b'}', head))) = (instance, document.split_last()) else {
        return document;
    };
    let mut spliced = Vec::with_capacity(document.len() + id.len() + 16);
    spliced.extend_from_slice(head);
    spliced.extend_from_slice(b",\"instance\":\"");
    spliced.extend_from_slice(id.as_bytes());
    spliced.extend_from_slice(b"\"}");
    Bytes::from(spliced)
}
