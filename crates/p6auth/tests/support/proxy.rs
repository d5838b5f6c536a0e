//! An HTTP/1.1 proxy in front of the real server that counts requests by path, can answer the
//! next token requests with 503, and can terminate TLS with the test certificate. It handles one
//! request per connection, which is what the p6auth client sends (`Connection: close`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

pub struct Proxy {
    pub addr: String,
    counts: Arc<Mutex<HashMap<String, u64>>>,
    fail_next: Arc<AtomicU32>,
}

impl Proxy {
    /// A plain-http proxy to `upstream` (host:port).
    pub fn start(upstream: &str) -> Proxy {
        Self::spawn(upstream, None)
    }

    /// An https proxy to `upstream`, with `fixtures/server.pem` (signed by `fixtures/ca.pem`).
    pub fn start_tls(upstream: &str) -> Proxy {
        Self::spawn(upstream, Some(tls_config()))
    }

    fn spawn(upstream: &str, tls: Option<Arc<rustls::ServerConfig>>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap().to_string(),
            counts: Arc::default(),
            fail_next: Arc::default(),
        };
        let (counts, fail_next, upstream) = (
            proxy.counts.clone(),
            proxy.fail_next.clone(),
            upstream.to_string(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (counts, fail_next, upstream, tls) = (
                    counts.clone(),
                    fail_next.clone(),
                    upstream.clone(),
                    tls.clone(),
                );
                std::thread::spawn(move || {
                    let _ = client.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    match tls {
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let stream = rustls::StreamOwned::new(conn, client);
                            serve(stream, &upstream, &counts, &fail_next);
                        }
                        None => serve(client, &upstream, &counts, &fail_next),
                    }
                });
            }
        });
        proxy
    }

    /// Requests seen for `path` (without the query).
    pub fn count(&self, path: &str) -> u64 {
        self.counts.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// Answer the next `n` token requests with 503 instead of forwarding them.
    pub fn fail_next(&self, n: u32) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

fn serve<S: Read + Write>(
    mut client: S,
    upstream: &str,
    counts: &Mutex<HashMap<String, u64>>,
    fail_next: &AtomicU32,
) {
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let head = String::from_utf8_lossy(&request[..request.len().min(2048)]).into_owned();
    let path = head
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    *counts.lock().unwrap().entry(path.clone()).or_default() += 1;
    let fail = path == "/oauth/token"
        && fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if fail {
        let body = r#"{"error":"temporarily_unavailable","error_description":"test"}"#;
        let _ = write!(
            client,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = client.flush();
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let _ = server.write_all(&request);
    let mut response = Vec::new();
    let _ = server.read_to_end(&mut response);
    let _ = client.write_all(&response);
    let _ = client.flush();
}

/// The head and the body (by Content-Length) of one request.
fn read_request<S: Read>(stream: &mut S) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Some(data);
            }
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}
