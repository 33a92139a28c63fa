//! The log file: appended to, rotated by size, reopened on request.
//!
//! Rotation follows nats-server: past `size_limit` bytes the file is renamed to
//! `<path>.YYYY.MM.DD.HH.MM.SS.<nanoseconds>`, a new file is started whose first line says so,
//! and when `max_files` is set, the oldest backups beyond it are deleted (the current file
//! counts as one).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An open log file and its rotation policy.
pub(super) struct LogFile {
    path: PathBuf,
    file: File,
    size: u64,
    /// Rotate once the file would grow past this many bytes; 0 never rotates.
    size_limit: u64,
    /// Keep at most this many files, the current one included; 0 keeps all.
    max_files: usize,
}

impl LogFile {
    /// Opens (or creates) the file for appending.
    pub(super) fn open(path: &Path, size_limit: u64, max_files: usize) -> io::Result<LogFile> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(LogFile {
            path: path.to_owned(),
            file,
            size,
            size_limit,
            max_files,
        })
    }

    /// Appends one line, rotating first if it would cross the size limit. `announce` formats
    /// the line that opens a new file after a rotation.
    pub(super) fn write_line(
        &mut self,
        line: &[u8],
        announce: impl FnOnce(&str) -> Vec<u8>,
    ) -> io::Result<()> {
        if self.size_limit > 0 && self.size > 0 && self.size + line.len() as u64 > self.size_limit {
            let backup = self.rotate()?;
            let notice = announce(&format!(
                "Rotated log, backup saved as \"{}\"",
                backup.display()
            ));
            self.append(&notice)?;
        }
        self.append(line)
    }

    /// Closes and reopens the file at the same path (after an external rotation tool moved it).
    pub(super) fn reopen(&mut self) -> io::Result<()> {
        self.file = open_append(&self.path)?;
        self.size = self.file.metadata()?.len();
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
    }

    /// Moves the current file aside and starts a new one; returns the backup's path.
    fn rotate(&mut self) -> io::Result<PathBuf> {
        let stamp = chrono::Local::now().format("%Y.%m.%d.%H.%M.%S.%f");
        let mut backup = self.path.clone().into_os_string();
        backup.push(format!(".{stamp}"));
        let backup = PathBuf::from(backup);
        std::fs::rename(&self.path, &backup)?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        self.prune_backups();
        Ok(backup)
    }

    /// Deletes the oldest backups so at most `max_files` files remain, this one included.
    fn prune_backups(&self) {
        if self.max_files == 0 {
            return;
        }
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let prefix = format!("{}.", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut backups: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
            })
            .collect();
        // The timestamp suffix sorts in time order.
        backups.sort();
        let keep = self.max_files.saturating_sub(1);
        let excess = backups.len().saturating_sub(keep);
        for old in backups.into_iter().take(excess) {
            let _ = std::fs::remove_file(old);
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rnats-logfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("readable")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn rotates_by_size_and_keeps_max_files() {
        let dir = temp_dir("rotate");
        let path = dir.join("server.log");
        // The limit leaves room for the notice line (with its long temporary path) and lines.
        let mut log = LogFile::open(&path, 400, 3).expect("opens");
        for i in 0..120 {
            log.write_line(format!("line number {i:04}\n").as_bytes(), |text| {
                format!("[INF] {text}\n").into_bytes()
            })
            .expect("writes");
            // Distinct timestamps for each rotation's backup name.
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        let names = files_in(&dir);
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&"server.log".to_owned()));
        let current = std::fs::read_to_string(&path).expect("readable");
        assert!(
            current.starts_with("[INF] Rotated log, backup saved as \""),
            "{current}"
        );
        assert!(current.len() <= 400 + "line number 0000\n".len());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn reopen_follows_an_external_move() {
        let dir = temp_dir("reopen");
        let path = dir.join("server.log");
        let mut log = LogFile::open(&path, 0, 0).expect("opens");
        log.write_line(b"before\n", |_| Vec::new()).expect("writes");
        std::fs::rename(&path, dir.join("moved.log")).expect("moves");
        log.reopen().expect("reopens");
        log.write_line(b"after\n", |_| Vec::new()).expect("writes");
        assert_eq!(std::fs::read_to_string(&path).expect("readable"), "after\n");
        assert_eq!(
            std::fs::read_to_string(dir.join("moved.log")).expect("readable"),
            "before\n"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
