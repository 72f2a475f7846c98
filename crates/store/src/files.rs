//! The file store: attachment contents, kept outside the database tables.
//!
//! The default is a local directory. A file is streamed into a temporary name, synced to
//! disk, and only renamed to its final key when the database transaction that records it is
//! about to commit; a [`PendingFile`] that is dropped unpersisted deletes itself, so a
//! refused request leaves nothing behind.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// A directory of stored files, named by opaque keys.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store in `dir` (created, private to its owner, when the first file is written).
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
    }

    async fn ensure_dir(&self) -> std::io::Result<()> {
        if tokio::fs::metadata(&self.dir).await.is_ok() {
            return Ok(());
        }
        tokio::fs::create_dir_all(&self.dir).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tokio::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700)).await?;
        }
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts a new file under a temporary name.
    pub async fn create(&self) -> std::io::Result<PendingFile> {
        self.ensure_dir().await?;
        let key = Uuid::now_v7().to_string();
        let temp = self.dir.join(format!("{key}.part"));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .await?;
        Ok(PendingFile {
            file: Some(file),
            temp,
            final_path: self.dir.join(&key),
            key,
            persisted: false,
        })
    }

    /// The path of a stored file.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        // Keys are UUIDs we made; anything else (a path trick) names nothing.
        Uuid::try_parse(key).ok().map(|_| self.dir.join(key))
    }

    /// Removes a stored file (used when a later step fails).
    pub async fn remove(&self, key: &str) {
        if let Some(path) = self.path_of(key) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }
}

/// A file being written; deleted when dropped before [`PendingFile::persist`].
#[derive(Debug)]
pub struct PendingFile {
    file: Option<tokio::fs::File>,
    temp: PathBuf,
    final_path: PathBuf,
    key: String,
    persisted: bool,
}

impl PendingFile {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.write_all(chunk).await,
            None => Err(std::io::Error::other("file already finished")),
        }
    }

    /// Flushes and syncs the content to disk (still under the temporary name).
    pub async fn finish(&mut self) -> std::io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
            file.sync_all().await?;
        }
        Ok(())
    }

    /// Gives the file its final name; from now on it is the caller's to keep or remove.
    pub async fn persist(mut self) -> std::io::Result<String> {
        self.finish().await?;
        tokio::fs::rename(&self.temp, &self.final_path).await?;
        self.persisted = true;
        Ok(std::mem::take(&mut self.key))
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Synchronous on purpose: drop cannot await, and the file must not outlive a
            // refused request.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
