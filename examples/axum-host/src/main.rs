//! twostep-axum-host: a tiny web app with a password login whose second step is a twostep
//! login challenge, and pages that demand a second factor from the last hour.
//!
//! Configuration (environment):
//! - `AXUM_HOST_TWOSTEP_URL`: the twostep-server (default `http://127.0.0.1:8080`)
//! - `AXUM_HOST_SERVICE_KEY`: a service key of that server (required; never sent to browsers)
//! - `AXUM_HOST_ISSUER`: the server's `issuer` setting (default `twostep`)
//! - `AXUM_HOST_LISTEN`: address to listen on (default `127.0.0.1:3000`)
//! - `AXUM_HOST_MAX_AGE_SECS`: maximum age of the second factor on guarded pages (default 3600)
//! - `AXUM_HOST_SECURE_COOKIES`: `true` to mark cookies `Secure` (when served over HTTPS)

mod app;
mod html;
mod twostep;
mod users;

use std::net::SocketAddr;
use twostep_server::guard::Verifier;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

async fn run() -> Result<(), String> {
    let base = env("AXUM_HOST_TWOSTEP_URL", "http://127.0.0.1:8080");
    let service_key = std::env::var("AXUM_HOST_SERVICE_KEY")
        .map_err(|_| "AXUM_HOST_SERVICE_KEY (a twostep-server service key) is required")?;
    let issuer = env("AXUM_HOST_ISSUER", "twostep");
    let listen = env("AXUM_HOST_LISTEN", "127.0.0.1:3000");
    let max_age_secs: u64 = env("AXUM_HOST_MAX_AGE_SECS", "3600")
        .parse()
        .map_err(|_| "AXUM_HOST_MAX_AGE_SECS must be a whole number of seconds")?;
    let secure_cookies = env("AXUM_HOST_SECURE_COOKIES", "false") == "true";

    let verifier = Verifier::fetch(&base, &issuer)
        .await
        .map_err(|e| format!("twostep-server at {base}: {e}"))?;
    let twostep = twostep::Twostep::new(&base, service_key).map_err(|e| e.to_string())?;
    let settings = app::Settings {
        max_age_secs,
        secure_cookies,
    };
    let router = app::router(twostep, verifier, settings);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("axum-host listening on http://{addr}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twostep-axum-host: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
