//! A deliberately small HTTP/1.1 client: one connection per request, http or https.
//!
//! Token requests happen once per token lifetime and JWKS fetches rarer still, so a connection
//! pool buys nothing; what matters is telling apart the ways a request fails (no route, TLS,
//! a broken answer), which this does without walking boxed error chains. It uses hyper's
//! connection API (hyper is already in the tree through axum) and rustls with the ring provider.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Answers larger than this are refused.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// For the whole exchange: connect, TLS, request and response.
    pub timeout: Duration,
    /// PEM certificates trusted besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Accept any server certificate. For a test server with a self-signed certificate only.
    pub insecure: bool,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            ca_file: None,
            insecure: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot connect to {authority}: {reason}")]
    Unreachable { authority: String, reason: String },
    #[error("no complete answer from {authority} within {seconds} s")]
    Timeout { authority: String, seconds: u64 },
    #[error("TLS with {authority} failed: {reason}")]
    Tls { authority: String, reason: String },
    #[error("broken HTTP exchange with {authority}: {reason}")]
    Protocol { authority: String, reason: String },
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
}

pub struct HttpClient {
    options: HttpOptions,
    /// Built on the first https request: loading the system roots reads hundreds of files.
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub fn new(options: HttpOptions) -> Self {
        Self {
            options,
            tls: OnceLock::new(),
        }
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    pub async fn get(&self, url: &str) -> Result<HttpResponse, TransportError> {
        let headers = [(header::ACCEPT, HeaderValue::from_static("application/json"))];
        self.send(Method::GET, url, &headers, Bytes::new()).await
    }

    /// A GET with extra headers (such as `Authorization`).
    pub async fn get_with_headers(
        &self,
        url: &str,
        headers: &[(header::HeaderName, HeaderValue)],
    ) -> Result<HttpResponse, TransportError> {
        let mut all = vec![(header::ACCEPT, HeaderValue::from_static("application/json"))];
        all.extend_from_slice(headers);
        self.send(Method::GET, url, &all, Bytes::new()).await
    }

    pub async fn post_form(
        &self,
        url: &str,
        headers: &[(header::HeaderName, HeaderValue)],
        body: String,
    ) -> Result<HttpResponse, TransportError> {
        let mut all = vec![
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            ),
            (header::ACCEPT, HeaderValue::from_static("application/json")),
        ];
        all.extend_from_slice(headers);
        self.send(Method::POST, url, &all, Bytes::from(body)).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(header::HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<HttpResponse, TransportError> {
        let target = Target::parse(url)?;
        let seconds = self.options.timeout.as_secs();
        let authority = target.authority.clone();
        let exchange = async {
            let mut request = Request::builder()
                .method(method)
                .uri(target.path_and_query.as_str())
                .header(header::HOST, target.authority.as_str())
                .header(
                    header::USER_AGENT,
                    concat!("p6auth-client/", env!("CARGO_PKG_VERSION")),
                )
                .header(header::CONNECTION, "close");
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let request = request
                .body(Full::new(body))
                .map_err(|e| target.protocol(e.to_string()))?;
            let tcp = TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(|e| TransportError::Unreachable {
                    authority: target.authority.clone(),
                    reason: e.to_string(),
                })?;
            let _ = tcp.set_nodelay(true);
            if target.https {
                let config = self.tls_config().map_err(|reason| TransportError::Tls {
                    authority: target.authority.clone(),
                    reason,
                })?;
                let name =
                    ServerName::try_from(target.host.clone()).map_err(|e| TransportError::Tls {
                        authority: target.authority.clone(),
                        reason: e.to_string(),
                    })?;
                let tls = tokio_rustls::TlsConnector::from(config)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| TransportError::Tls {
                        authority: target.authority.clone(),
                        reason: tls_reason(&e),
                    })?;
                exchange(&target, tls, request).await
            } else {
                exchange(&target, tcp, request).await
            }
        };
        tokio::time::timeout(self.options.timeout, exchange)
            .await
            .unwrap_or(Err(TransportError::Timeout { authority, seconds }))
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.tls
            .get_or_init(|| build_tls(&self.options).map(Arc::new))
            .clone()
    }
}

async fn exchange<S>(
    target: &Target,
    stream: S,
    request: Request<Full<Bytes>>,
) -> Result<HttpResponse, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| target.protocol(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| target.protocol(e.to_string()))?;
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| target.protocol(format!("reading the body: {e}")))?
        .to_bytes();
    Ok(HttpResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

/// rustls reports its errors inside `io::Error`; a peer that hangs up mid-handshake is
/// usually not speaking TLS at all.
fn tls_reason(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(cert)) => format!("invalid certificate: {cert:?}"),
        Some(other) => other.to_string(),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake (does it speak https?)".into()
        }
        None => e.to_string(),
    }
}

struct Target {
    https: bool,
    host: String,
    port: u16,
    authority: String,
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, TransportError> {
        let bad = |reason: &str| TransportError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: http::Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Ok(Self {
            https,
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
            authority: authority.as_str().to_string(),
            path_and_query: uri
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string()),
            host,
        })
    }

    fn protocol(&self, reason: String) -> TransportError {
        TransportError::Protocol {
            authority: self.authority.clone(),
            reason,
        }
    }
}

fn build_tls(options: &HttpOptions) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if options.insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(insecure::AcceptAnyCertificate(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = &options.ca_file {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "the CA file {} holds no certificate",
                path.display()
            ));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("the CA file {}: {e}", path.display()))?;
        }
    }
    if roots.is_empty() {
        return Err(
            "no trusted root certificates: install the system's CA bundle or set p6auth.ca-file"
                .into(),
        );
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

mod insecure {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    /// Skips the certificate check (the handshake signatures are still checked).
    #[derive(Debug)]
    pub struct AcceptAnyCertificate(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("https://auth.example.com/oauth/token?x=1").unwrap();
        assert!(t.https);
        assert_eq!((t.host.as_str(), t.port), ("auth.example.com", 443));
        assert_eq!(t.path_and_query, "/oauth/token?x=1");
        let t = Target::parse("http://[::1]:8080").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        assert_eq!(t.authority, "[::1]:8080");
        assert_eq!(t.path_and_query, "/");
        assert!(Target::parse("ftp://x").is_err());
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = HttpClient::new(HttpOptions::default());
        let err = client.get(&format!("http://{addr}/")).await.unwrap_err();
        assert!(matches!(err, TransportError::Unreachable { .. }), "{err}");
    }
}
