//! CPU-heavy work (decompressing and parsing crash reports, hashing passwords) on the blocking
//! pool, within a bound: at most `workers` jobs of a kind run at once, at most `max_waiting` more
//! wait for a turn, and past that a job is refused at once, so that a flood of requests costs
//! neither unbounded threads nor unbounded memory.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The bound on one kind of blocking work, shared by the whole server.
pub struct BoundedWork {
    what: &'static str,
    workers: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Why a job did not run.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkRefused {
    /// Every worker is busy and as many jobs as may wait are waiting.
    #[error("the server is busy with {0}; try again in a moment")]
    Busy(&'static str),
    /// The job panicked.
    #[error("{0} failed unexpectedly")]
    Failed(&'static str),
}

impl BoundedWork {
    /// `what` names the work in messages and logs (`reading crash reports`).
    pub fn new(what: &'static str, workers: usize, max_waiting: usize) -> BoundedWork {
        BoundedWork {
            what,
            workers: tokio::sync::Semaphore::new(workers.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// As many workers as the machine has cores, and `waiting_per_worker` waiting per worker.
    pub fn per_core(what: &'static str, waiting_per_worker: usize) -> BoundedWork {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        BoundedWork::new(what, cores, waiting_per_worker * cores)
    }

    /// Runs `job` on the blocking pool within the bound.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkRefused> {
        let _turn = match self.workers.try_acquire() {
            Ok(turn) => turn,
            Err(_) => {
                let waiting = self.waiting.fetch_add(1, Ordering::AcqRel);
                let turn = if waiting < self.max_waiting {
                    self.workers.acquire().await.ok()
                } else {
                    None
                };
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                turn.ok_or_else(|| {
                    tracing::warn!(waiting, work = self.what, "too much work at once; refused");
                    WorkRefused::Busy(self.what)
                })?
            }
        };
        tokio::task::spawn_blocking(job).await.map_err(|error| {
            tracing::error!(%error, work = self.what, "blocking work panicked");
            WorkRefused::Failed(self.what)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_past_the_bound_is_refused_at_once_and_runs_again_once_there_is_room() {
        let work = std::sync::Arc::new(BoundedWork::new("testing", 1, 0));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let busy_worker = tokio::spawn({
            let work = work.clone();
            async move {
                work.run(move || {
                    let _ = started.send(());
                    let _ = hold.recv();
                })
                .await
            }
        });
        running.await.unwrap();
        assert_eq!(work.run(|| ()).await, Err(WorkRefused::Busy("testing")));
        release.send(()).unwrap();
        busy_worker.await.unwrap().unwrap();
        assert_eq!(work.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn waiting_jobs_run_in_turn() {
        let work = std::sync::Arc::new(BoundedWork::new("testing", 1, 8));
        let runs: Vec<_> = (0..8)
            .map(|index| {
                let work = work.clone();
                tokio::spawn(async move { work.run(move || index * 2).await })
            })
            .collect();
        for (index, run) in runs.into_iter().enumerate() {
            assert_eq!(run.await.unwrap(), Ok(index * 2));
        }
    }
}
