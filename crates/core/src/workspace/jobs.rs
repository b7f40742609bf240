//! Long-running work by id: each job has a cancellation token that a Cancel from anywhere
//! (another window command, Ctrl-C, a scheduler) reaches, and leaves the registry when it ends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Jobs {
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
    next: AtomicU64,
}

/// A running job: cancelled through [`Jobs::cancel`], gone from the registry when dropped.
pub struct Job {
    id: String,
    cancel: CancellationToken,
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl Jobs {
    /// Registers job `id`. An id still in use is refused: it would take over another job's
    /// Cancel.
    pub fn start(&self, id: &str) -> Result<Job> {
        let mut running = self.running.lock().expect("jobs");
        if running.contains_key(id) {
            return Err(Error::Conflict(format!("job `{id}` is still running")));
        }
        let cancel = CancellationToken::new();
        running.insert(id.to_owned(), cancel.clone());
        Ok(Job {
            id: id.to_owned(),
            cancel,
            running: self.running.clone(),
        })
    }

    /// A job with a fresh id `<kind>-<n>`, for jobs the caller does not name.
    pub fn start_new(&self, kind: &str) -> Job {
        loop {
            let id = format!("{kind}-{}", self.next.fetch_add(1, Ordering::Relaxed));
            if let Ok(job) = self.start(&id) {
                return job;
            }
        }
    }

    /// Cancels job `id`; `false` when no such job runs (it may have just ended).
    pub fn cancel(&self, id: &str) -> bool {
        match self.running.lock().expect("jobs").get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    fn is_running(&self, id: &str) -> bool {
        self.running.lock().expect("jobs").contains_key(id)
    }
}

impl Job {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The token the job's work watches.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.running.lock().expect("jobs").remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_cancelled_by_id_and_leaves_when_dropped() {
        let jobs = Jobs::default();
        let job = jobs.start("backup-1").unwrap();
        let again = jobs
            .start("backup-1")
            .err()
            .expect("an id in use is refused");
        assert_eq!(again.kind(), crate::ErrorKind::Conflict);
        assert!(!job.token().is_cancelled());
        assert!(jobs.cancel("backup-1"));
        assert!(job.token().is_cancelled());
        drop(job);
        assert!(!jobs.is_running("backup-1"));
        assert!(!jobs.cancel("backup-1"));
        assert!(
            jobs.start("backup-1").is_ok(),
            "a finished job's id is free again"
        );
    }

    #[test]
    fn unnamed_jobs_get_ids_of_their_own() {
        let jobs = Jobs::default();
        let a = jobs.start_new("migrate");
        let b = jobs.start_new("migrate");
        assert_ne!(a.id(), b.id());
        assert!(a.id().starts_with("migrate-"));
    }
}
