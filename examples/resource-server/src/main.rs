//! Runs the example resource server.
//!
//!     P6AUTH_URL=http://127.0.0.1:8080 INSTANCE=acme LISTEN=127.0.0.1:9090 \
//!         cargo run -p resource-server
//!
//! Then, with a token from `p6auth token` or a `TokenSource`:
//!
//!     curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:9090/users

use p6auth_client::{Verifier, VerifierOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let issuer = var("P6AUTH_URL", "http://127.0.0.1:8080");
    let instance = var("INSTANCE", "acme");
    let listen = var("LISTEN", "127.0.0.1:9090");
    let verifier = Verifier::new(VerifierOptions::new(issuer.clone()));
    if let Err(e) = verifier.prefetch().await {
        eprintln!("warning: {e}; will retry when the first token arrives");
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!(
        "resource server for instance {instance} on http://{}, trusting {issuer}",
        listener.local_addr()?
    );
    axum::serve(listener, resource_server::app(verifier, &instance)).await?;
    Ok(())
}
