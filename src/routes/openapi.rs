//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' `#[utoipa::path]`
//! annotations (each module lists its own next to the routes it registers), and where it is
//! served: `GET /openapi.json`, and Swagger UI at `GET /docs/`, its files compiled into the
//! binary. Both are public: the document shows the API's shape, which the README publishes
//! anyway, and every admin operation it describes still needs the token.
//!
//! Not in the document: `/openapi.json` and `/docs` themselves (the document and its viewer).
use super::method_not_allowed;
use super::{admin::AdminDoc, api::ApiDoc};
use crate::error::Problem;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use serde_json::json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";

const PROBLEM_JSON: &str = "application/problem+json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "flashsale",
        description = "A flash-sale service: atomic Redis reservations, asynchronous \
            persistence to Postgres.\n\n\
            Errors are `application/problem+json` with a machine-readable `code`; `instance` \
            is the request's `X-Request-Id` (echoed on every response). Besides the answers \
            listed per operation, any request may get 408 `request_timeout`, 413 \
            `payload_too_large` (bodies over 16 KiB), 431 `headers_too_large`, 500 \
            `internal`; an unknown path 404 `not_found`, a known path with another method 405 \
            `method_not_allowed`."
    ),
    paths(
        super::health::livez,
        super::health::healthz,
        super::health::readyz,
        super::metrics::metrics
    ),
    components(schemas(Problem)),
    tags(
        (name = "public api", description = "What buyers (and a shop's front end) call"),
        (name = "admin", description = "Operators and the payment service: \
            `Authorization: Bearer <FLASHSALE_ADMIN_TOKEN>` on every call"),
        (name = "operations", description = "Probes and metrics, for the platform"),
    ),
    modifiers(&SecuritySchemes),
)]
struct Root;

/// The whole document: the probes and metrics, the public API, the admin API.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Root::openapi()
        .merge_from(ApiDoc::openapi())
        .merge_from(AdminDoc::openapi());
    require_admin_token(&mut document);
    document
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(SwaggerUi::new("/docs/{_:.*}").url(DOCUMENT_PATH, document()))
        .service(
            // Swagger UI's page loads its files by relative URLs: it must be seen at `/docs/`.
            web::resource("/docs")
                .route(web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((LOCATION, "/docs/"))
                        .finish()
                }))
                .default_service(method_not_allowed()),
        );
}

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let components = document.components.get_or_insert_with(Default::default);
        let bearer = |description: &str, format: Option<&str>| {
            let mut scheme = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description));
            if let Some(format) = format {
                scheme = scheme.bearer_format(format);
            }
            SecurityScheme::Http(scheme.build())
        };
        components.add_security_scheme("admin_token", bearer("`FLASHSALE_ADMIN_TOKEN`", None));
        components.add_security_scheme(
            "buyer_token",
            bearer(
                "HS256 JWT with `sub` (the buyer) and `exp`; required only when the service \
                 runs with `FLASHSALE_JWT_SECRET`",
                Some("JWT"),
            ),
        );
    }
}

/// Every admin operation needs the token and answers 401 without it: said once here rather
/// than on each handler, as the token is checked once, by the admin scope's middleware.
fn require_admin_token(document: &mut utoipa::openapi::OpenApi) {
    let admin = SecurityRequirement::new("admin_token", Vec::<String>::new());
    for (path, item) in document.paths.paths.iter_mut() {
        // The dashboard page holds no data and asks for the token itself.
        if !path.starts_with("/admin/") || path == "/admin/dashboard" {
            continue;
        }
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            operation.security = Some(vec![admin.clone()]);
            let unauthorized = Ref::new(format!("#/components/responses/{UNAUTHORIZED}"));
            operation
                .responses
                .responses
                .insert("401".into(), unauthorized.into());
        }
    }
    let components = document.components.get_or_insert_with(Default::default);
    components
        .responses
        .insert(UNAUTHORIZED.into(), unauthorized().into());
}

const UNAUTHORIZED: &str = "Unauthorized";

fn unauthorized() -> Response {
    let problem = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .example(Some(json!({
            "type": "urn:flashsale:problem:unauthorized", "title": "Unauthorized",
            "status": 401, "detail": "A valid bearer token is required.",
            "code": "unauthorized", "instance": "0192f3c4-8d1e-7b6a-a1f0-5c2e9d4b7a10"
        })))
        .build();
    ResponseBuilder::new()
        .description("`unauthorized`: no valid admin token")
        .content(PROBLEM_JSON, problem)
        .build()
}
