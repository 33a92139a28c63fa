//! The options of operator mode, as configured, and the resolver directory's files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `operator`, `trusted_keys`, `resolver` and `resolver_preload`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperatorOptions {
    /// Operator JWTs (the text, read from their files by the configuration).
    pub operators: Vec<String>,
    /// Operator public keys trusted without a JWT (`trusted_keys`).
    pub trusted_keys: Vec<String>,
    /// Where account JWTs come from.
    pub resolver: Resolver,
    /// `resolver_preload`: account public key and JWT.
    pub preload: Vec<(String, String)>,
}

/// An account resolver.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resolver {
    /// No resolver configured: only preloaded accounts (the server refuses to start in
    /// operator mode without one, see `OperatorOptions::check`).
    #[default]
    None,
    /// `MEMORY`: the `resolver_preload` accounts.
    Memory,
    /// `{type: full|cache, dir: ...}`: the nats-based resolver; every `<key>.jwt` file of
    /// `dir` is loaded at start.
    Directory {
        /// The directory (created if missing).
        dir: PathBuf,
        /// `full` (true) or `cache`.
        full: bool,
        /// `allow_delete`.
        allow_delete: bool,
        /// `interval`: how often a full resolver syncs with others.
        interval: Duration,
        /// `limit`: the most JWTs kept.
        limit: u64,
        /// `ttl` of a cache resolver's entries.
        ttl: Duration,
        /// `timeout` of lookups.
        timeout: Duration,
    },
}

impl OperatorOptions {
    /// The start-time checks: the reference's texts where it has one. `system_account` is
    /// the configured system account, if any.
    pub fn check(&self, system_account: Option<&str>, has_accounts: bool) -> Result<(), String> {
        if has_accounts {
            return Err("operators do not allow Accounts to be configured directly".to_owned());
        }
        match &self.resolver {
            Resolver::None => Err(
                "operator mode needs a resolver: rnats supports `resolver: MEMORY` and \
                 `resolver: {type: full|cache, dir: ...}`"
                    .to_owned(),
            ),
            Resolver::Directory { .. } if system_account.is_none() => Err(
                "using nats based account resolver - the system account needs to be specified \
                 in configuration or the operator jwt"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }
}

/// Reads every `<account key>.jwt` of `dir`, creating the directory if needed.
pub(super) fn read_directory(dir: &Path) -> Result<HashMap<String, String>, String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("mkdir {}: {error}", dir.display()))?;
    let entries =
        std::fs::read_dir(dir).map_err(|error| format!("open {}: {error}", dir.display()))?;
    let mut jwts = HashMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(stem), Some("jwt")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        if let Ok(text) = std::fs::read_to_string(&path) {
            jwts.insert(stem.to_owned(), text.trim().to_owned());
        }
    }
    Ok(jwts)
}
