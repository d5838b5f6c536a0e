//! A minimal SMTP client (RFC 5321): EHLO, STARTTLS (RFC 3207), AUTH PLAIN (RFC 4954), then
//! MAIL / RCPT / DATA. One connection per message: p6auth sends a few messages an hour.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use p6auth_core::clock::UnixTime;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{Mail, Mailer, render};
use crate::{ServiceError, ServiceResult};

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// Upgrade the connection with STARTTLS before authenticating (required when credentials
    /// are set, so a password never crosses the network in clear).
    pub starttls: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From:` address (and envelope sender).
    pub from: String,
    /// Certificates (PEM) trusted for the SMTP server besides the system's roots: a private CA.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("starttls", &self.starttls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[derive(Debug)]
pub struct Smtp {
    settings: SmtpSettings,
}

impl Smtp {
    pub fn new(settings: SmtpSettings) -> ServiceResult<Self> {
        if settings.username.is_some() && !settings.starttls {
            return Err(ServiceError::Invalid(
                "SMTP credentials need STARTTLS (smtp.starttls = true)".into(),
            ));
        }
        Ok(Self { settings })
    }
}

fn failed(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::Invalid(format!("sending mail failed: {what}"))
}

/// The address inside `Name <addr>`, or the whole text.
fn address(text: &str) -> &str {
    match (text.find('<'), text.rfind('>')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        _ => text.trim(),
    }
}

struct Conversation<S> {
    stream: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conversation<S> {
    /// Reads one (possibly multi-line) reply and checks its code class.
    async fn reply(&mut self, expect: u8) -> ServiceResult<String> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(TIMEOUT, self.stream.read_line(&mut line))
                .await
                .map_err(|_| failed("the server did not answer in time"))?
                .map_err(failed)?;
            if n == 0 || line.len() < 4 {
                return Err(failed("the server closed the connection"));
            }
            all.push_str(&line);
            if line.as_bytes()[3] != b'-' {
                if line.as_bytes()[0] != expect {
                    return Err(failed(format!("the server answered {}", line.trim_end())));
                }
                return Ok(all);
            }
        }
    }

    async fn command(&mut self, line: &str, expect: u8) -> ServiceResult<String> {
        let s = self.stream.get_mut();
        s.write_all(line.as_bytes()).await.map_err(failed)?;
        s.write_all(b"\r\n").await.map_err(failed)?;
        s.flush().await.map_err(failed)?;
        self.reply(expect).await
    }

    async fn deliver(
        &mut self,
        settings: &SmtpSettings,
        mail: &Mail,
        text: &str,
    ) -> ServiceResult<()> {
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            let plain =
                base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
            self.command(&format!("AUTH PLAIN {plain}"), b'2').await?;
        }
        self.command(&format!("MAIL FROM:<{}>", address(&settings.from)), b'2')
            .await?;
        self.command(&format!("RCPT TO:<{}>", address(&mail.to)), b'2')
            .await?;
        self.command("DATA", b'3').await?;
        let mut data = String::with_capacity(text.len() + 8);
        for line in text.split_inclusive("\r\n") {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
        }
        data.push('.');
        self.command(&data, b'2').await?;
        let _ = self.command("QUIT", b'2').await;
        Ok(())
    }
}

fn tls_connector(ca_file: Option<&std::path::Path>) -> ServiceResult<tokio_rustls::TlsConnector> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let unreadable =
            |e: &dyn std::fmt::Display| failed(format!("the CA file {}: {e}", path.display()));
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| unreadable(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unreadable(&e))?;
        if certs.is_empty() {
            return Err(unreadable(&"no certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| unreadable(&e))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(failed)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

#[async_trait]
impl Mailer for Smtp {
    async fn send(&self, mail: &Mail, now: UnixTime) -> ServiceResult<()> {
        let s = &self.settings;
        let text = render(mail, &s.from, now);
        let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .map_err(|_| failed("connecting timed out"))?
            .map_err(failed)?;
        let mut plain = Conversation {
            stream: BufReader::new(tcp),
        };
        plain.reply(b'2').await?;
        plain.command("EHLO p6auth", b'2').await?;
        if !s.starttls {
            return plain.deliver(s, mail, &text).await;
        }
        plain.command("STARTTLS", b'2').await?;
        let name = rustls::pki_types::ServerName::try_from(s.host.clone()).map_err(failed)?;
        let handshake =
            tls_connector(s.ca_file.as_deref())?.connect(name, plain.stream.into_inner());
        let tls = tokio::time::timeout(TIMEOUT, handshake)
            .await
            .map_err(|_| failed("the TLS handshake timed out"))?
            .map_err(failed)?;
        let mut secure = Conversation {
            stream: BufReader::new(tls),
        };
        secure.command("EHLO p6auth", b'2').await?;
        secure.deliver(s, mail, &text).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_redaction() {
        assert_eq!(address("p6auth <noreply@a.example>"), "noreply@a.example");
        assert_eq!(address(" x@y "), "x@y");
        let s = SmtpSettings {
            host: "h".into(),
            port: 25,
            starttls: false,
            username: Some("u".into()),
            password: Some("hunter2".into()),
            from: "f@x".into(),
            ca_file: None,
        };
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(
            Smtp::new(s).is_err(),
            "credentials without STARTTLS are refused"
        );
    }

    /// A scripted SMTP server: answers each command and returns what the client sent. At
    /// `STARTTLS` it answers `on_starttls` and returns, with `true`.
    async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
        sock: &mut BufReader<S>,
        on_starttls: &[u8],
    ) -> (String, bool) {
        let mut seen = String::new();
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if sock.read_line(&mut line).await.unwrap_or(0) == 0 {
                return (seen, false);
            }
            seen.push_str(&line);
            let reply: &[u8] = if in_data {
                if line != ".\r\n" {
                    continue;
                }
                in_data = false;
                b"250 queued\r\n"
            } else if line.starts_with("EHLO") {
                b"250-hello\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
            } else if line.starts_with("STARTTLS") {
                sock.get_mut().write_all(on_starttls).await.unwrap();
                return (seen, true);
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go\r\n"
            } else if line.starts_with("QUIT") {
                sock.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                return (seen, false);
            } else {
                b"250 ok\r\n"
            };
            sock.get_mut().write_all(reply).await.unwrap();
        }
    }

    fn settings(port: u16, starttls: bool) -> SmtpSettings {
        SmtpSettings {
            host: "localhost".into(),
            port,
            starttls,
            username: None,
            password: None,
            from: "p6auth <noreply@a.example>".into(),
            ca_file: None,
        }
    }

    fn mail() -> Mail {
        Mail {
            to: "ann@example.com".into(),
            subject: "S".into(),
            body: "hello\n.dot line\n".into(),
        }
    }

    /// Without STARTTLS: the commands in order, with dot-stuffing.
    #[tokio::test]
    async fn plain_conversation() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut sock = BufReader::new(sock);
            sock.get_mut().write_all(b"220 hi\r\n").await.unwrap();
            converse(&mut sock, b"").await.0
        });
        let mut plain = settings(port, false);
        plain.host = "127.0.0.1".into();
        Smtp::new(plain).unwrap().send(&mail(), 0).await.unwrap();
        let seen = server.await.unwrap();
        assert!(seen.starts_with("EHLO p6auth\r\nMAIL FROM:<noreply@a.example>\r\nRCPT TO:<ann@example.com>\r\nDATA\r\n"), "{seen}");
        assert!(
            seen.contains("\r\n\r\nhello\r\n..dot line\r\n.\r\nQUIT\r\n"),
            "{seen}"
        );
    }

    /// A TLS server configuration for `localhost` with a new self-signed certificate, and that
    /// certificate in PEM.
    fn tls_server() -> (Arc<rustls::ServerConfig>, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        (Arc::new(config), certified.cert.pem())
    }

    /// With STARTTLS and credentials: only EHLO and STARTTLS cross in clear; the password,
    /// the envelope and the message go inside TLS, to a server the client verified against the
    /// configured CA file.
    #[tokio::test]
    async fn starttls_then_authentication_and_mail_inside_tls() {
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        let (server_config, ca) = tls_server();
        std::fs::write(&ca_file, ca).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut plain = BufReader::new(sock);
            plain.get_mut().write_all(b"220 hi\r\n").await.unwrap();
            let (clear, upgraded) = converse(&mut plain, b"220 go ahead\r\n").await;
            assert!(upgraded);
            let tls = tokio_rustls::TlsAcceptor::from(server_config)
                .accept(plain.into_inner())
                .await
                .unwrap();
            let (inside, _) = converse(&mut BufReader::new(tls), b"").await;
            (clear, inside)
        });
        let mut secure = settings(port, true);
        secure.username = Some("p6auth".into());
        secure.password = Some("hunter2".into());
        secure.ca_file = Some(ca_file);
        Smtp::new(secure).unwrap().send(&mail(), 0).await.unwrap();
        let (clear, inside) = server.await.unwrap();
        assert_eq!(clear, "EHLO p6auth\r\nSTARTTLS\r\n");
        let plain_auth = base64::engine::general_purpose::STANDARD.encode("\0p6auth\0hunter2");
        assert!(
            inside.starts_with(&format!(
                "EHLO p6auth\r\nAUTH PLAIN {plain_auth}\r\nMAIL FROM:<noreply@a.example>\r\nRCPT TO:<ann@example.com>\r\nDATA\r\n"
            )),
            "{inside}"
        );
        assert!(inside.ends_with(".\r\nQUIT\r\n"), "{inside}");
    }

    /// A server that refuses STARTTLS, or whose certificate is not trusted, gets neither the
    /// password nor the message.
    #[tokio::test]
    async fn a_refused_or_untrusted_upgrade_sends_nothing_in_clear() {
        for upgrade in [false, true] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                let (sock, _) = listener.accept().await.unwrap();
                let mut plain = BufReader::new(sock);
                plain.get_mut().write_all(b"220 hi\r\n").await.unwrap();
                if !upgrade {
                    return converse(&mut plain, b"454 TLS not available\r\n").await.0;
                }
                let (seen, _) = converse(&mut plain, b"220 go ahead\r\n").await;
                // the client does not trust this certificate and ends the handshake
                let (config, _) = tls_server();
                let handshake = tokio_rustls::TlsAcceptor::from(config)
                    .accept(plain.into_inner())
                    .await;
                assert!(handshake.is_err());
                seen
            });
            let mut secure = settings(port, true);
            secure.username = Some("p6auth".into());
            secure.password = Some("hunter2".into());
            let err = Smtp::new(secure)
                .unwrap()
                .send(&mail(), 0)
                .await
                .unwrap_err()
                .to_string();
            let expected = if upgrade {
                "sending mail failed: invalid peer certificate: UnknownIssuer"
            } else {
                "sending mail failed: the server answered 454 TLS not available"
            };
            assert_eq!(err, expected);
            assert_eq!(server.await.unwrap(), "EHLO p6auth\r\nSTARTTLS\r\n");
        }
    }
}
