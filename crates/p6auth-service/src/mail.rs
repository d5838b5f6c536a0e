//! Outgoing mail: activation, password-reset and notification messages. A [`Mailer`] delivers
//! them: [`Outbox`] writes `.eml` files (the embedded default, nothing else to run), and
//! [`smtp::Smtp`] talks to a mail server. Message bodies carry one-time links: they are never logged.

pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use p6auth_core::clock::UnixTime;

use crate::{ServiceError, ServiceResult};

/// One plain-text message.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the body holds a link's token
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail, now: UnixTime) -> ServiceResult<()>;
}

/// RFC 5322 text of `mail`, with CRLF line ends and a dot-safe body (no line is a lone `.`).
pub fn render(mail: &Mail, from: &str, now: UnixTime) -> String {
    let id = p6auth_core::encoding::b64url(p6auth_core::secret::random_bytes::<12>());
    // `Name <user@host>` or `user@host`
    let domain = from
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d.trim_end_matches('>'));
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let mut text = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{id}@{domain}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        clean(from),
        clean(&mail.to),
        clean(&mail.subject),
        rfc5322_date(now),
    );
    for line in mail.body.lines() {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text
}

/// `Thu, 03 Dec 2026 19:25:29 +0000`.
pub fn rfc5322_date(t: UnixTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // civil_from_days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Writes each message as `<dir>/<unix time>-<n>.eml`, readable by the owner only, in a directory
/// made 0700.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    from: String,
    next: AtomicU64,
}

impl Outbox {
    pub fn new(dir: &Path, from: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            from: from.to_string(),
            next: AtomicU64::new(1),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &Mail, now: UnixTime) -> ServiceResult<()> {
        let text = render(mail, &self.from, now);
        let dir = self.dir.clone();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let failed = |e: std::io::Error| {
            ServiceError::Invalid(format!("cannot write to the outbox {}: {e}", dir.display()))
        };
        // the mails hold activation and reset links: the directory is the owner's alone, as the
        // data directory is (one made by an older version keeps its mode)
        let mut mkdir = tokio::fs::DirBuilder::new();
        mkdir.recursive(true);
        #[cfg(unix)]
        mkdir.mode(0o700);
        mkdir.create(&self.dir).await.map_err(failed)?;
        // written under a temporary name first, then linked to its `.eml` name, so a reader of
        // the outbox never sees half a message; linking, unlike renaming, fails when another
        // process (a CLI next to the server) took the name
        let temporary = self
            .dir
            .join(format!(".{}-{now}-{first}.tmp", std::process::id()));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let written = async {
            use tokio::io::AsyncWriteExt;
            let mut file = options.open(&temporary).await?;
            file.write_all(text.as_bytes()).await?;
            file.sync_all().await
        }
        .await;
        let mut n = first;
        let linked = loop {
            if let Err(e) = &written {
                break Err(std::io::Error::new(e.kind(), e.to_string()));
            }
            let path = self.dir.join(format!("{now}-{n}.eml"));
            match tokio::fs::hard_link(&temporary, &path).await {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    n = self.next.fetch_add(1, Ordering::Relaxed);
                }
                other => break other,
            }
        };
        let _ = tokio::fs::remove_file(&temporary).await;
        linked.map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc5322() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_796_325_929),
            "Thu, 03 Dec 2026 19:25:29 +0000"
        );
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn the_message_id_takes_the_domain_of_the_from_address() {
        let mail = Mail {
            to: "a@example.com".into(),
            subject: "s".into(),
            body: "b".into(),
        };
        for from in ["p6auth <noreply@mail.example>", "noreply@mail.example"] {
            let text = render(&mail, from, 0);
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap();
            assert!(
                id.starts_with('<') && id.ends_with("@mail.example>"),
                "{id}"
            );
        }
    }

    /// A name another process took is left alone; the message goes under the next one, whole,
    /// and no temporary file stays behind.
    #[tokio::test]
    async fn outbox_never_overwrites_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path(), "noreply@auth.example");
        std::fs::write(dir.path().join("2000-1.eml"), "someone else's").unwrap();
        let mail = Mail {
            to: "ann@example.com".into(),
            subject: "s".into(),
            body: "b".into(),
        };
        outbox.send(&mail, 2000).await.unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["2000-1.eml", "2000-2.eml"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("2000-1.eml")).unwrap(),
            "someone else's"
        );
        let written = std::fs::read_to_string(dir.path().join("2000-2.eml")).unwrap();
        assert!(
            written
                .starts_with("From: noreply@auth.example\r\nTo: ann@example.com\r\nSubject: s\r\n"),
            "{written}"
        );
        assert!(written.ends_with("\r\n\r\nb\r\n"), "{written}");
    }

    #[tokio::test]
    async fn outbox_writes_private_eml_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(&dir.path().join("outbox"), "p6auth <noreply@auth.example>");
        let mail = Mail {
            to: "ann@example.com".into(),
            subject: "Hello\r\nBcc: x".into(),
            body: "Line one\nhttp://x/activate?token=abc\n".into(),
        };
        assert_eq!(
            format!("{mail:?}"),
            "Mail { to: \"ann@example.com\", subject: \"Hello\\r\\nBcc: x\", .. }"
        );
        outbox.send(&mail, 1000).await.unwrap();
        outbox.send(&mail, 1000).await.unwrap();
        let mut names: Vec<_> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["1000-1.eml", "1000-2.eml"]);
        let path = outbox.dir().join("1000-1.eml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("From: p6auth <noreply@auth.example>\r\nTo: ann@example.com\r\nSubject: Hello  Bcc: x\r\nDate: Thu, 01 Jan 1970 00:16:40 +0000\r\n"));
        assert!(text.ends_with("\r\n\r\nLine one\r\nhttp://x/activate?token=abc\r\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(outbox.dir())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
    }
}
