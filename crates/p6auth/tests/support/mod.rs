//! Test support: the real `p6auth` binary on port 0 with a temporary data directory, the CLI,
//! and a deliberately small HTTP/1.1 client so that tests control every byte they send.
//!
//! The store follows `P6AUTH_TEST_BACKEND`: `sqlite` (the default) or `postgres`, where each
//! [`TestDir`] also gets a database of its own on the server named by
//! `P6AUTH_TEST_DATABASE_URL`, dropped with it, and a master key file. The same tests then run
//! unchanged on both backends.
#![allow(dead_code)]

pub mod cluster;
pub mod postgres;
pub mod proxy;
pub mod web_session;

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use postgres::{Backend, PgTarget, TestDir, backend, sqlite_args, store_args};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_p6auth");

pub struct Server {
    child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
}

/// Every variable that could point the binary elsewhere than the test says.
const CLEARED: &[&str] = &[
    "P6AUTH_CONFIG",
    "P6AUTH_DATA_DIR",
    "P6AUTH_DATABASE_URL",
    "P6AUTH_MASTER_KEY_FILE",
    "P6AUTH_MAX_STALENESS",
];

fn command() -> Command {
    let mut c = Command::new(BIN);
    for v in CLEARED {
        c.env_remove(v);
    }
    c
}

impl Server {
    /// On the store of the test's backend for `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let mut args = store_args(data_dir);
        args.extend(extra.iter().map(OsString::from));
        Self::spawn(&args)
    }

    /// `p6auth serve --listen 127.0.0.1:0` with exactly these further arguments.
    pub fn spawn(args: &[OsString]) -> Server {
        let data_dir = args
            .iter()
            .position(|a| a == "--data-dir")
            .map(|i| PathBuf::from(&args[i + 1]))
            .unwrap_or_default();
        let mut child = command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("P6AUTH_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start p6auth serve");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("p6auth serve exited before printing its address")
                .unwrap();
            if let Some(rest) = line.strip_prefix("p6auth listening on ") {
                let rest = rest.trim();
                break rest.split_once("://").map_or(rest, |(_, a)| a).to_string();
            }
        };
        // keep draining stdout so the server never blocks on a full pipe
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            data_dir,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends SIGTERM and waits; returns whether the process exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.success()
    }

    pub fn post_form(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Response {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request("POST", path, &all, body.as_bytes())
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        http(&self.addr, method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the CLI against the test backend's store for a data directory.
pub fn cli(data_dir: &Path, args: &[&str]) -> Output {
    cli_with(&store_args(data_dir), args)
}

pub fn cli_ok(data_dir: &Path, args: &[&str]) -> String {
    cli_with_ok(&store_args(data_dir), args)
}

/// Runs the CLI with exactly these store arguments.
pub fn cli_with(store: &[OsString], args: &[&str]) -> Output {
    command()
        .args(store)
        .args(args)
        .output()
        .expect("run p6auth")
}

pub fn cli_with_ok(store: &[OsString], args: &[&str]) -> String {
    let out = cli_with(store, args);
    assert!(
        out.status.success(),
        "p6auth {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Credentials {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

/// An instance `acme`, a set `Integration` holding the typical instance permissions, and one
/// integration with that policy.
pub fn seed(data_dir: &Path) -> Credentials {
    seed_with(&store_args(data_dir))
}

pub fn seed_with(store: &[OsString]) -> Credentials {
    cli_with_ok(store, &["instance", "create", "acme"]);
    cli_with_ok(
        store,
        &[
            "permission-set",
            "create",
            "--instance",
            "acme",
            "--name",
            "Integration",
            "--permission",
            "orgs=read",
            "--permission",
            "acme:users=read(\"./\")",
        ],
    );
    create_integration_with(store, "ERP", &["acme/Integration"])
}

pub fn create_integration(data_dir: &Path, name: &str, policies: &[&str]) -> Credentials {
    create_integration_with(&store_args(data_dir), name, policies)
}

pub fn create_integration_with(store: &[OsString], name: &str, policies: &[&str]) -> Credentials {
    let mut args = vec![
        "integration",
        "create",
        "--name",
        name,
        "--redirect-uri",
        "https://erp.example/cb",
        "--json",
    ];
    for p in policies {
        args.extend(["--policy", p]);
    }
    let v: Value = serde_json::from_str(&cli_with_ok(store, &args)).unwrap();
    Credentials {
        id: v["application_id"].as_str().unwrap().to_string(),
        secret: v["app_secret"].as_str().unwrap().to_string(),
        redirect_uri: v["redirect_uri"].as_str().unwrap().to_string(),
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The status of a client_credentials request with HTTP Basic.
pub fn token_status(server: &Server, c: &Credentials) -> u16 {
    server
        .post_form(
            "/oauth/token",
            "grant_type=client_credentials",
            &[("Authorization", &basic(&c.id, &c.secret))],
        )
        .status
}

pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // the server may answer and close before reading a large body; that is fine
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

/// Sends `request` exactly as given, closes the writing half, and reads the answer: for bodies
/// that are cut short or framed wrongly on purpose.
pub fn raw_http(addr: &str, request: &[u8]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// The decoded header and claims of a compact JWS.
pub fn decode_jwt(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut next =
        || serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    (next(), next())
}

/// Verifies the signature of `token` against the server's JWKS, with ring.
pub fn verify_with_jwks(token: &str, jwks: &Value) -> bool {
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
        UnparsedPublicKey,
    };
    let (header, _) = decode_jwt(token);
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
    else {
        return false;
    };
    let b64 = |k: &str| URL_SAFE_NO_PAD.decode(jwk[k].as_str().unwrap()).unwrap();
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    match jwk["alg"].as_str().unwrap() {
        "ES256" => {
            let mut point = vec![4u8];
            point.extend(b64("x"));
            point.extend(b64("y"));
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(signed.as_bytes(), &sig)
                .is_ok()
        }
        "EdDSA" => UnparsedPublicKey::new(&ED25519, b64("x"))
            .verify(signed.as_bytes(), &sig)
            .is_ok(),
        "RS256" => RsaPublicKeyComponents {
            n: b64("n"),
            e: b64("e"),
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
        .is_ok(),
        other => panic!("unexpected alg {other}"),
    }
}

/// Polls `check` until it holds or `limit` passes; returns the time it took.
pub fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if check() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
