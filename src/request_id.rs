//! `X-Request-Id`: the one a caller (or its gateway) sent when it is a plausible id, else the
//! id tracing-actix-web gave the request; echoed in the response, carried by the request's log
//! span and access event, and shown as `instance` in problem documents, so a buyer's complaint
//! leads to the server's log lines.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request being handled, for error documents rendered while it runs.
    static CURRENT: String;
}

/// The id given to a request when its span began, for the rest of the chain.
#[derive(Clone)]
struct Assigned(String);

/// Gives the request its id (see `of`) and remembers it on the request.
pub fn assign(request: &ServiceRequest) -> String {
    let id = of(request);
    request.extensions_mut().insert(Assigned(id.clone()));
    id
}

/// The request's id: a sent `X-Request-Id` of 1 to 128 characters of `A-Z a-z 0-9 . _ : -`,
/// else the one generated for it.
fn of(request: &ServiceRequest) -> String {
    let sent = request
        .headers()
        .get(&HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plausible(id));
    match sent {
        Some(id) => id.to_owned(),
        None => request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

fn is_plausible(id: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-');
    (1..=128).contains(&id.len()) && id.bytes().all(allowed)
}

/// The id of the request this task is handling, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs the rest of the chain with the request's id known to error documents (handlers' and
/// extractors' errors are rendered inside it), and echoes the id. A middleware's own error
/// (the 408 of a request past its deadline) is rendered by actix after the chain, with neither.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let assigned = request.extensions().get::<Assigned>().cloned();
    let id = assigned.map_or_else(|| of(&request), |assigned| assigned.0);
    let mut response = CURRENT.scope(id.clone(), next.call(request)).await?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::is_plausible;

    #[test]
    fn a_sent_id_is_kept_only_when_short_and_plain() {
        for good in ["abc", "0190f2a3-7c1e-7000-8000-000000000000", "gw:1.2_3"] {
            assert!(is_plausible(good), "{good}");
        }
        for bad in ["", "a b", "<script>", "é", &"x".repeat(129)] {
            assert!(!is_plausible(bad), "{bad}");
        }
    }
}
