//! The writer: one background thread that turns reports into spooled envelopes, so that the
//! thread that reports (a panicking one, or any that logs an `error!`) neither resolves symbols
//! nor waits for the disk. Its queue is bounded: past [`QUEUE`] reports waiting, new ones are
//! dropped with a word on standard error rather than growing memory.
//!
//! A report is on disk a moment after it is queued; [`Writer::drain`] waits for everything queued
//! before it (a flush, a panic, the end of the program do).

use crate::event::{Event, Stacktrace};
use crate::spool::Spool;
use crate::stacktrace::{self, InApp};
use crate::transport::{Transport, mark_sender_thread};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most reports waiting to be written.
pub(crate) const QUEUE: usize = 256;

enum Job {
    /// A report, with the stack of its outermost exception still to resolve; `written` hears
    /// when it is on disk (or handed to the sender).
    Write {
        event: Box<Event>,
        stack: Option<backtrace::Backtrace>,
        written: Option<SyncSender<()>>,
    },
    /// Answers once every job before it is done.
    Drain(SyncSender<()>),
}

/// What the writer needs to turn a report into an envelope and hand it on.
pub(crate) struct Target {
    pub dsn: String,
    pub in_app: InApp,
    pub spool: Spool,
    pub transport: Arc<Transport>,
}

pub(crate) struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Something to wait for, until a deadline.
pub(crate) struct Pending(Receiver<()>);

impl Pending {
    /// Waits until it is done or `deadline` passes; answers whether it was done.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        self.0
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

impl Writer {
    pub fn start(target: Target) -> std::io::Result<Writer> {
        let (jobs, receiver) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("reporter-writer".into())
            .spawn(move || run(target, receiver))?;
        Ok(Writer {
            jobs: Mutex::new(Some(jobs)),
            thread: Mutex::new(Some(thread)),
        })
    }

    fn jobs(&self) -> Option<SyncSender<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Queues a report without waiting; answers something to wait on for it to be written, or
    /// `None` when the queue is full (the report is dropped) or the writer stopped.
    pub fn queue(&self, event: Event, stack: Option<backtrace::Backtrace>) -> Option<Pending> {
        let jobs = self.jobs()?;
        let (written, pending) = mpsc::sync_channel(1);
        let event_id = event.event_id.clone();
        let job = Job::Write {
            event: Box::new(event),
            stack,
            written: Some(written),
        };
        match jobs.try_send(job) {
            Ok(()) => Some(Pending(pending)),
            Err(TrySendError::Full(_)) => {
                eprintln!(
                    "reporter: {QUEUE} reports wait to be written; dropping report {event_id}"
                );
                None
            }
            Err(TrySendError::Disconnected(_)) => None,
        }
    }

    /// Waits up to `deadline` for every report queued so far to be written; answers whether
    /// they were.
    pub fn drain(&self, deadline: Instant) -> bool {
        let Some(jobs) = self.jobs() else {
            return true;
        };
        let (done, pending) = mpsc::sync_channel(1);
        let mut job = Job::Drain(done);
        loop {
            match jobs.try_send(job) {
                Ok(()) => return Pending(pending).wait_until(deadline),
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    job = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
    }

    /// Writes what is queued (waiting up to `deadline`) and stops the thread.
    pub fn stop(&self, deadline: Instant) -> bool {
        let drained = self.drain(deadline);
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if drained {
            let thread = self
                .thread
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take();
            if let Some(thread) = thread {
                let _ = thread.join();
            }
        }
        drained
    }
}

fn run(target: Target, jobs: Receiver<Job>) {
    // What happens here (a log event of the file system, say) is never itself reported.
    mark_sender_thread();
    for job in jobs {
        match job {
            Job::Write {
                mut event,
                stack,
                written,
            } => {
                if let Some(stack) = stack {
                    attach(&mut event, stack, &target.in_app);
                }
                write(&target, &event);
                if let Some(written) = written {
                    let _ = written.try_send(());
                }
            }
            Job::Drain(done) => {
                let _ = done.try_send(());
            }
        }
    }
}

/// Resolves `stack` and gives it to the outermost exception (the last one).
fn attach(event: &mut Event, stack: backtrace::Backtrace, in_app: &InApp) {
    if let Some(outermost) = event
        .exception
        .as_mut()
        .and_then(|exceptions| exceptions.values.last_mut())
    {
        outermost.stacktrace = Some(Stacktrace {
            frames: stacktrace::resolve(stack, in_app),
        });
    }
}

/// Spools the report and wakes the sender, or hands it to the sender to send from memory when the
/// spool cannot take it.
fn write(target: &Target, event: &Event) {
    let envelope = event.to_envelope(&target.dsn);
    match target.spool.write(&event.event_id, &envelope) {
        Ok(_) => target.transport.wake(),
        Err(error) => {
            eprintln!(
                "reporter: could not write report {} to the spool in {} ({error}); sending it from memory",
                event.event_id,
                target.spool.directory().display()
            );
            target.transport.deliver_from_memory(envelope);
        }
    }
}
