//! CORS for browser front ends on other origins (`FLASHSALE_CORS_ORIGINS`, off by default):
//! preflights answered, the headers buyers send allowed, `Location` and `Retry-After` readable.
//! A request from an origin not listed is served as any other, without CORS headers, so the
//! browser keeps its answer from the page; nothing else changes.
use actix_cors::Cors;
use actix_web::http::header::{self, HeaderName};

pub fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::LOCATION, header::RETRY_AFTER])
        .max_age(600)
        .block_on_origin_mismatch(false);
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// An origin as a browser sends it: `http` or `https`, a host, an optional port, no path.
/// Checked when the settings are read: the middleware would panic on anything else.
pub fn check_origin(origin: &str) -> anyhow::Result<()> {
    let uri: actix_web::http::Uri = origin
        .parse()
        .map_err(|_| anyhow::anyhow!("CORS origin {origin:?} is not a URI"))?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let bare = uri.authority().is_some()
        && uri.path_and_query().is_none_or(|p| p == "/")
        && !origin.ends_with('/');
    if scheme_ok && bare {
        Ok(())
    } else {
        anyhow::bail!(
            "CORS origin {origin:?} must be scheme://host[:port], e.g. https://shop.example"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::check_origin;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in ["https://shop.example", "http://localhost:3000"] {
            assert!(check_origin(good).is_ok(), "{good}");
        }
        for bad in [
            "*",
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/",
            "https://a/b",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }
}
