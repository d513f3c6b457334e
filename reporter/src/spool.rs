//! The spool: every report is written here, atomically, before it is sent, and removed only once
//! the server has accepted or permanently refused it. A report of a program that died, or of a
//! server that was down, is sent by the next run.
//!
//! Reports can hold personal data, and the sender posts whatever the spool holds, so the spool is
//! private: its directory is created readable by its owner only (files too), and a directory
//! owned by another user, or a symbolic link, is refused. A directory removed while the program
//! runs is created again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const EXTENSION: &str = "envelope";
const LOCK_FILE: &str = ".lock";
const PARTIAL: &str = "partial";
/// A half-written report older than this was left by a writer that failed or died.
const PARTIAL_LEFT_AFTER: Duration = Duration::from_secs(10 * 60);

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

/// Why the right to send was not taken.
#[derive(Debug)]
pub(crate) enum NotLocked {
    /// Another process is sending from this spool.
    Busy,
    /// The spool cannot be used (removed and not creatable, not writable).
    Unusable(io::Error),
}

/// Creates `directory` (and its parents) if needed, private to this user, and checks that it is
/// a real directory of this user's.
fn create_private(directory: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(directory)?;
    let metadata = fs::symlink_metadata(directory)?;
    if !metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the spool is not a directory (a symbolic link is refused)",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let me = rustix::process::geteuid().as_raw();
        if metadata.uid() != me {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the spool directory belongs to another user (uid {}), so others could read or plant reports",
                    metadata.uid()
                ),
            ));
        }
        if metadata.mode() & 0o077 != 0 {
            fs::set_permissions(directory, fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

impl Spool {
    /// Opens (or creates) the spool directory, private to this user; refuses one that belongs to
    /// someone else. Half-written reports that earlier runs left are removed.
    pub fn open(directory: PathBuf, caps: Caps) -> io::Result<Spool> {
        create_private(&directory)?;
        let spool = Spool { directory, caps };
        spool.remove_partials(PARTIAL_LEFT_AFTER);
        Ok(spool)
    }

    /// Creates the directory again if it went away meanwhile.
    fn recreate(&self) -> io::Result<()> {
        create_private(&self.directory)
    }

    /// Removes half-written reports older than `older_than`.
    fn remove_partials(&self, older_than: Duration) {
        let Ok(entries) = fs::read_dir(&self.directory) else {
            return;
        };
        let now = SystemTime::now();
        for path in entries.flatten().map(|entry| entry.path()) {
            let partial = path
                .extension()
                .is_some_and(|extension| extension == PARTIAL);
            let old = fs::symlink_metadata(&path)
                .and_then(|metadata| metadata.modified())
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age >= older_than);
            if partial && old {
                let _ = fs::remove_file(&path);
            }
        }
    }

    /// How much the spool may hold.
    pub fn caps(&self) -> Caps {
        self.caps
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Writes a report: to a temporary file, flushed to disk, then renamed into place, so a
    /// report in the spool is always whole. Answers its path. A spool directory that was removed
    /// is created again.
    pub fn write(&self, event_id: &str, envelope: &[u8]) -> io::Result<PathBuf> {
        match self.write_once(event_id, envelope) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.recreate()?;
                self.write_once(event_id, envelope)
            }
            written => written,
        }
    }

    fn write_once(&self, event_id: &str, envelope: &[u8]) -> io::Result<PathBuf> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or_default();
        let name = format!("{nanos:024}-{event_id}.{EXTENSION}");
        let temporary = self.directory.join(format!(".{name}.{PARTIAL}"));
        let path = self.directory.join(&name);
        let written = (|| {
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(envelope)?;
            file.sync_all()?;
            fs::rename(&temporary, &path)
        })();
        if let Err(error) = written {
            // Whatever failed (a full disk, say), no half-written file stays behind.
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

    /// Removes a report; answers whether it is gone (a read-only spool keeps it).
    pub fn remove(&self, path: &Path) -> bool {
        match fs::remove_file(path) {
            Ok(()) => true,
            Err(error) => error.kind() == io::ErrorKind::NotFound,
        }
    }

    /// Takes the right to send, unless another process has it or the spool cannot be used. A
    /// spool directory that was removed is created again.
    pub fn try_lock(&self) -> Result<SendingLock, NotLocked> {
        let open = || {
            let mut options = OpenOptions::new();
            options.create(true).truncate(false).write(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            options.open(self.directory.join(LOCK_FILE))
        };
        let file = match open() {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.recreate().map_err(NotLocked::Unusable)?;
                open()
            }
            opened => opened,
        }
        .map_err(NotLocked::Unusable)?;
        match file.try_lock() {
            Ok(()) => Ok(SendingLock(file)),
            Err(fs::TryLockError::WouldBlock) => Err(NotLocked::Busy),
            Err(fs::TryLockError::Error(error)) => Err(NotLocked::Unusable(error)),
        }
    }

    /// Drops the oldest reports while the spool holds more than its caps allow, and the
    /// half-written ones that failed writers left.
    fn enforce_caps(&self) {
        self.remove_partials(PARTIAL_LEFT_AFTER);
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
        assert!(matches!(spool.try_lock(), Err(NotLocked::Busy)));
        drop(held);
        assert!(spool.try_lock().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn reports_are_private_and_an_existing_directory_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("spool");
        fs::create_dir(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        let spool = Spool::open(path.clone(), caps()).unwrap();
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o700);
        let report = spool.write("a", b"personal data").unwrap();
        assert_eq!(mode(&report), 0o600);
        let _lock = spool.try_lock().unwrap();
        assert_eq!(mode(&path.join(LOCK_FILE)), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_of_another_user_or_a_link_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let foreign = if rustix::process::geteuid().is_root() {
            // Root can give a directory away to show it.
            let foreign = directory.path().join("foreign");
            fs::create_dir(&foreign).unwrap();
            std::os::unix::fs::chown(&foreign, Some(65_534), Some(65_534)).unwrap();
            foreign
        } else {
            // Anyone else finds one: the system's temporary directory belongs to root.
            PathBuf::from("/tmp")
        };
        let refused = Spool::open(foreign, caps()).expect_err("refused");
        assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied, "{refused}");
        assert!(refused.to_string().contains("another user"), "{refused}");

        let target = directory.path().join("target");
        fs::create_dir(&target).unwrap();
        let link = directory.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(Spool::open(link, caps()).is_err());
    }

    #[test]
    fn half_written_reports_left_behind_are_removed_and_fresh_ones_kept() {
        let directory = tempfile::tempdir().unwrap();
        let left = directory.path().join(".1-a.envelope.partial");
        let fresh = directory.path().join(".2-b.envelope.partial");
        fs::write(&left, b"half").unwrap();
        fs::write(&fresh, b"being written").unwrap();
        let long_ago = SystemTime::now() - PARTIAL_LEFT_AFTER - Duration::from_secs(60);
        File::options()
            .write(true)
            .open(&left)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let spool = Spool::open(directory.path().to_path_buf(), caps()).unwrap();
        assert!(!left.exists(), "a writer that died left it");
        assert!(fresh.exists(), "a writer may still be at it");
        spool.write("c", b"whole").unwrap();
        assert_eq!(spool.pending().len(), 1);
    }

    #[test]
    fn a_spool_removed_while_running_is_created_again() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("spool");
        let spool = Spool::open(path.clone(), caps()).unwrap();
        fs::remove_dir_all(&path).unwrap();
        assert!(spool.try_lock().is_ok(), "the sender takes the lock again");
        fs::remove_dir_all(&path).unwrap();
        let report = spool.write("a", b"report").unwrap();
        assert_eq!(spool.pending(), vec![report]);
    }
}
