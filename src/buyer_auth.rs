//! Who is buying. With `FLASHSALE_JWT_SECRET` set, a buyer is the `sub` of an HS256 JWT in
//! `Authorization: Bearer …` (expired or forged tokens are refused); without it, the body's
//! `user_id` is trusted, which is right only behind a gateway that sets it.
use crate::domain::UserId;
use crate::error::{ApiError, Result};
use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::Deserialize;

/// Clock skew tolerated on `exp`.
const LEEWAY_SECONDS: u64 = 5;

pub struct BuyerTokens {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

impl BuyerTokens {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    fn buyer(&self, request: &HttpRequest) -> Result<UserId> {
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok()?.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let claims = decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|_| ApiError::Unauthorized)?
            .claims;
        UserId::parse(claims.sub).map_err(|_| ApiError::Unauthorized)
    }
}

/// The buyer of an order: the token's subject when tokens are required (a body `user_id` must
/// then agree with it), else the body's `user_id`.
pub fn identify(
    tokens: Option<&BuyerTokens>,
    request: &HttpRequest,
    claimed: Option<String>,
) -> Result<UserId> {
    let Some(tokens) = tokens else {
        let claimed = claimed.ok_or_else(|| ApiError::Validation("user_id is required".into()))?;
        return Ok(UserId::parse(claimed)?);
    };
    let buyer = tokens.buyer(request)?;
    match claimed {
        Some(claimed) if claimed != buyer.as_str() => Err(ApiError::Forbidden),
        _ => Ok(buyer),
    }
}
