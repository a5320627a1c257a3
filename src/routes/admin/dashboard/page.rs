//! `GET /admin/dashboard`: the live sale page, one self-contained HTML file compiled into the
//! binary. It holds no data (it asks for the admin token and reads `/admin/dashboard/events`
//! with it), so it is served without the token. Its policy lets it run only its own inline
//! script and style, by their hashes, and talk only to this origin.
use actix_web::HttpResponse;
use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const PAGE: &str = include_str!("../../../../assets/dashboard.html");

static POLICY: LazyLock<String> = LazyLock::new(|| policy(PAGE));

#[utoipa::path(
    get,
    path = "/admin/dashboard",
    tag = "admin",
    summary = "The live sale page (no token: it holds no data and asks for the token)",
    responses(
        (status = 200, description = "One self-contained HTML page, under a Content-Security-Policy \
            allowing only its own inline script and style", content_type = "text/html",
            body = String),
    ),
)]
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((CONTENT_SECURITY_POLICY, POLICY.as_str()))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .body(PAGE)
}

fn policy(page: &str) -> String {
    format!(
        "default-src 'self'; script-src {}; style-src {}; img-src 'self'; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        inline_source(page, "<script>", "</script>"),
        inline_source(page, "<style>", "</style>"),
    )
}

/// The policy source allowing the page's inline element that starts with `open`: its
/// `'sha256-…'`, or `'none'` when the page has no such element.
fn inline_source(page: &str, open: &str, close: &str) -> String {
    let Some(start) = page.find(open).map(|at| at + open.len()) else {
        return "'none'".into();
    };
    let Some(length) = page[start..].find(close) else {
        return "'none'".into();
    };
    let digest = Sha256::digest(&page.as_bytes()[start..start + length]);
    format!("'sha256-{}'", STANDARD.encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_page_s_one_script_and_one_style_by_hash() {
        for (open, close) in [("<script>", "</script>"), ("<style>", "</style>")] {
            assert_eq!(PAGE.matches(open).count(), 1, "{open}");
            assert_eq!(PAGE.matches(close).count(), 1, "{close}");
        }
        assert_eq!(POLICY.matches("'sha256-").count(), 2, "{}", *POLICY);
        assert!(
            !PAGE.contains(" style="),
            "inline style attributes are not covered by hashes"
        );
        assert!(
            !PAGE.contains("http://") && !PAGE.contains("https://"),
            "external asset"
        );
    }

    #[test]
    fn a_hash_is_the_one_a_browser_computes() {
        // `alert('Hello, world.');`, the example of the CSP specification.
        let page = "<script>alert('Hello, world.');</script>";
        assert_eq!(
            inline_source(page, "<script>", "</script>"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
    }
}
