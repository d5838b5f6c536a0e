//! LISTEN/NOTIFY: one connection per node waits on the channel `p6auth_changes` and wakes the
//! sync loop at every announced commit. While that connection is down, waiting falls back to
//! polling, and every (re)connection wakes the loop once, since announcements may have been
//! missed meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use p6auth_store::Wake;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub(crate) const CHANNEL: &str = "p6auth_changes";
const RETRY_MIN: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Shared {
    connected: AtomicBool,
    /// Holds at most one pending wake-up, so a commit announced while the loop is busy
    /// reloading is not lost.
    wake: Notify,
}

pub(crate) struct ChangeListener {
    pool: PgPool,
    shared: Arc<Shared>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl ChangeListener {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            shared: Arc::default(),
            task: std::sync::Mutex::new(None),
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Starts the listening task on first use; CLI commands never wait, so never listen.
    fn ensure_started(&self) {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_none() {
            *task = Some(tokio::spawn(run(
                self.pool.clone(),
                Arc::clone(&self.shared),
            )));
        }
    }

    pub(crate) async fn wait(&self, max_wait: Duration, poll_interval: Duration) -> Wake {
        self.ensure_started();
        let (limit, quiet) = if self.is_connected() {
            (max_wait, Wake::TimedOut)
        } else {
            (poll_interval, Wake::Polled)
        };
        match tokio::time::timeout(limit, self.shared.wake.notified()).await {
            Ok(()) => Wake::Notified,
            Err(_) => quiet,
        }
    }

    pub(crate) fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
        self.shared.connected.store(false, Ordering::SeqCst);
    }
}

impl Drop for ChangeListener {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn run(pool: PgPool, shared: Arc<Shared>) {
    let mut retry = RETRY_MIN;
    let mut was_down = false;
    while !pool.is_closed() {
        let result = session(&pool, &shared).await;
        let was_connected = shared.connected.swap(false, Ordering::SeqCst);
        // wake the loop so that it notices the outage (or the lost announcements) at once
        shared.wake.notify_one();
        if was_connected {
            retry = RETRY_MIN;
            was_down = false;
        }
        if !was_down {
            match &result {
                Err(e) => {
                    tracing::warn!(error = %e, "the PostgreSQL notification connection is down; polling for changes until it is back")
                }
                Ok(()) => tracing::warn!(
                    "the PostgreSQL notification connection was closed; polling for changes until it is back"
                ),
            }
            was_down = true;
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(RETRY_MAX);
    }
}

/// One listening connection, from connecting until it is lost.
async fn session(pool: &PgPool, shared: &Shared) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    shared.connected.store(true, Ordering::SeqCst);
    shared.wake.notify_one();
    tracing::info!(channel = CHANNEL, "listening for changes");
    while listener.try_recv().await?.is_some() {
        shared.wake.notify_one();
    }
    Ok(())
}
