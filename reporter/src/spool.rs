//! The spool: every report is written here, atomically, before it is sent, and removed only once
//! the server has accepted or permanently refused it. A report of a program that died, or of a
//! server that was down, is sent by the next run.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const EXTENSION: &str = "envelope";
const LOCK_FILE: &str = ".lock";

/// How much the spool may hold before its oldest reports are dropped.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caps {
    pub max_reports: usize,
    pub max_bytes: u64,
    pub max_age: Duration,
}

#[derive(Clone, Debug)]
pub(crate) struct Spool {
    directory: PathBuf,
    caps: Caps,
}

/// The right to send the spool's reports, held by one process at a time; released when dropped
/// (or when the process dies).
pub(crate) struct SendingLock(File);

impl Drop for SendingLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Spool {
    /// Opens (or creates) the spool directory; a new one is readable by its owner only, as
    /// reports can hold personal data.
    pub fn open(directory: PathBuf, caps: Caps) -> io::Result<Spool> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&directory)?;
        Ok(Spool { directory, caps })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Writes a report: to a temporary file, flushed to disk, then renamed into place, so a
    /// report in the spool is always whole. Answers its path.
    pub fn write(&self, event_id: &str, envelope: &[u8]) -> io::Result<PathBuf> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        let name = format!("{nanos:024}-{event_id}.{EXTENSION}");
        let temporary = self.directory.join(format!(".{name}.partial"));
        let path = self.directory.join(&name);
        {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)?;
            file.write_all(envelope)?;
            file.sync_all()?;
        }
        if let Err(error) = fs::rename(&temporary, &path) {
            let _ = fs::remove_file(&temporary);
            return Err(error);
        }
        // The rename itself must reach the disk too (not possible on every platform).
        if let Ok(directory) = File::open(&self.directory) {
            let _ = directory.sync_all();
        }
        self.enforce_caps();
        Ok(path)
    }

    /// The whole reports waiting, oldest first; reports older than the age cap are removed.
    pub fn pending(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(&self.directory) else {
            return Vec::new();
        };
        let now = SystemTime::now();
        let mut reports: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == EXTENSION)
                    && !path
                        .file_name()
                        .is_some_and(|name| name.to_string_lossy().starts_with('.'))
            })
            .filter(|path| {
                let age = fs::metadata(path)
                    .and_then(|metadata| metadata.modified())
                    .ok()
                    .and_then(|modified| now.duration_since(modified).ok());
                let expired = age.is_some_and(|age| age > self.caps.max_age);
                if expired {
                    let _ = fs::remove_file(path);
                }
                !expired
            })
            .collect();
        reports.sort();
        reports
    }

    pub fn remove(&self, path: &Path) {
        let _ = fs::remove_file(path);
    }

    /// Takes the right to send, unless another process has it.
    pub fn try_lock(&self) -> Option<SendingLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.directory.join(LOCK_FILE))
            .ok()?;
        file.try_lock().ok()?;
        Some(SendingLock(file))
    }

    /// Drops the oldest reports while the spool holds more than its caps allow.
    fn enforce_caps(&self) {
        let reports = self.pending();
        let sizes: Vec<u64> = reports
            .iter()
            .map(|path| {
                fs::metadata(path)
                    .map(|metadata| metadata.len())
                    .unwrap_or(0)
            })
            .collect();
        let mut count = reports.len();
        let mut bytes: u64 = sizes.iter().sum();
        for (path, size) in reports.iter().zip(sizes) {
            if count <= self.caps.max_reports && bytes <= self.caps.max_bytes {
                break;
            }
            eprintln!(
                "reporter: the spool is full; dropping its oldest report {}",
                path.display()
            );
            let _ = fs::remove_file(path);
            count -= 1;
            bytes = bytes.saturating_sub(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps() -> Caps {
        Caps {
            max_reports: 3,
            max_bytes: 1_000,
            max_age: Duration::from_secs(3_600),
        }
    }

    #[test]
    fn reports_are_listed_oldest_first_and_removed_when_done() {
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(directory.path().join("spool"), caps()).unwrap();
        let first = spool.write("a", b"first").unwrap();
        let second = spool.write("b", b"second").unwrap();
        assert_eq!(spool.pending(), vec![first.clone(), second.clone()]);
        assert_eq!(fs::read(&first).unwrap(), b"first");
        spool.remove(&first);
        assert_eq!(spool.pending(), vec![second]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_spool_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(directory.path().join("a/b"), caps()).unwrap();
        let mode = fs::metadata(spool.directory())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn partial_files_are_never_listed() {
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(directory.path().to_path_buf(), caps()).unwrap();
        fs::write(directory.path().join(".123-x.envelope.partial"), b"half").unwrap();
        fs::write(directory.path().join("notes.txt"), b"other").unwrap();
        assert!(spool.pending().is_empty());
    }

    #[test]
    fn the_oldest_reports_go_when_the_count_or_size_cap_is_passed() {
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(directory.path().to_path_buf(), caps()).unwrap();
        for id in ["a", "b", "c", "d"] {
            spool.write(id, b"report").unwrap();
        }
        let names: Vec<String> = spool
            .pending()
            .iter()
            .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names[0].ends_with("-b.envelope"), "{names:?}");
        spool.write("big", &[b'x'; 990]).unwrap();
        let left = spool.pending();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].to_string_lossy().ends_with("-d.envelope"));
        assert!(left[1].to_string_lossy().ends_with("-big.envelope"));
    }

    #[test]
    fn reports_past_the_age_cap_are_dropped() {
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(
            directory.path().to_path_buf(),
            Caps {
                max_age: Duration::ZERO,
                ..caps()
            },
        )
        .unwrap();
        let path = spool.write("old", b"report").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert!(spool.pending().is_empty());
        assert!(!path.exists());
    }

    #[test]
    fn only_one_holder_may_send_at_a_time() {
        let directory = tempfile::tempdir().unwrap();
        let spool = Spool::open(directory.path().to_path_buf(), caps()).unwrap();
        let held = spool.try_lock().expect("the first taker gets the lock");
        assert!(spool.try_lock().is_none());
        drop(held);
        assert!(spool.try_lock().is_some());
    }
}
