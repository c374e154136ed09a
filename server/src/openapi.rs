//! The OpenAPI document, generated from the handlers' annotations.

use crate::api;
use crate::routes::{backup_codes, challenges, devices, events, mfa, ops, trusted_devices, verify};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "twostep-server", description = "Pairing and authoritative TOTP verification"),
    paths(
        devices::create, devices::list, devices::confirm, devices::remove,
        verify::verify, mfa::status, mfa::disable,
        backup_codes::regenerate, backup_codes::status, backup_codes::verify,
        challenges::create, challenges::get, challenges::verify, challenges::jwks,
        trusted_devices::check, trusted_devices::list, trusted_devices::revoke,
        trusted_devices::revoke_all,
        events::list,
        ops::healthz, ops::readyz, ops::metrics, ops::openapi,
    ),
    components(schemas(
        api::ErrorBody, api::ErrorDetail, api::Device, api::DeviceStatus,
        api::CreateDeviceRequest, api::CreateDeviceResponse, api::CodeRequest,
        api::ConfirmDeviceResponse, api::DeviceList, api::VerifyResponse, api::MfaStatus,
        api::Health, api::BackupCodesResponse, api::BackupCodeStatus,
        api::BackupCodeVerifyResponse,
        api::CreateChallengeRequest, api::ChallengeCreated, api::VerifyChallengeRequest,
        api::ChallengeVerified, api::TrustedDeviceToken, api::ChallengeStatus, api::Challenge,
        api::AssertionClaims, api::Jwks, api::Jwk, api::TrustedDeviceCheckRequest,
        api::TrustedDeviceCheck, api::TrustedDevice, api::TrustedDeviceList,
        api::DisableRequest, api::Event, api::EventList,
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "a service key, or a user JWT (HS256/EdDSA/RS256) whose sub is the user id",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
