//! Configuration reload: which options may change while the server runs, and how the
//! change is reported.
//!
//! A reload is all or nothing: if any option that cannot change did, nothing changes and
//! the error names it (with the reference's field name, old and new value). Otherwise the
//! new options replace the old ones; new connections see them at once and existing ones
//! at their next read, and clients the new authentication rejects are closed.

use std::fmt;
use std::sync::Arc;

use crate::monitor::format::go_duration;
use crate::options::{Authentication, Options};
use crate::process_files;
use crate::server::{ServerHandle, ServerState};
use crate::tls::{DEFAULT_TLS_TIMEOUT, HandshakeFirst, TlsOptions, TlsSetup};

/// Why a reload that changes the `accounts` block is refused in operator mode, whose
/// accounts come from JWTs.
pub(crate) const OPERATOR_ACCOUNTS_FIXED: &str =
    "config reload not supported for accounts in operator mode";

/// A reload that was refused, and why; the server keeps its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadError {
    field: &'static str,
    old: String,
    new: String,
    /// A problem other than a fixed option (new TLS files that cannot be used).
    detail: Option<String>,
}

impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(detail) = &self.detail {
            return f.write_str(detail);
        }
        write!(
            f,
            "config reload not supported for {}: old={}, new={}",
            self.field, self.old, self.new
        )
    }
}

impl std::error::Error for ReloadError {}

impl ServerHandle {
    /// Replaces the server's options with `new`, if every option that changed may change
    /// while running; returns what changed, one log line each (`Reloaded: max_payload = 2`).
    pub fn reload(&self, new: Options) -> Result<Vec<String>, ReloadError> {
        let state = self.state();
        // Two reloads at once would both rewire the same accounts.
        let _one_at_a_time = state.reloading.lock();
        let old = state.options();
        refuse_fixed(&old, &new)?;
        if old.operator != new.operator {
            return Err(ReloadError {
                field: "operator",
                old: String::new(),
                new: String::new(),
                detail: Some(crate::operator::RELOAD_REFUSED.to_owned()),
            });
        }
        let accounts_changed = old.accounts != new.accounts;
        if accounts_changed && old.operator.is_some() {
            return Err(ReloadError {
                field: "accounts",
                old: String::new(),
                new: String::new(),
                detail: Some(OPERATOR_ACCOUNTS_FIXED.to_owned()),
            });
        }
        // New certificates are read now, for new connections; existing ones keep theirs.
        let tls = TlsSetup::build(&new).map_err(|error| ReloadError {
            field: "TLS",
            old: String::new(),
            new: String::new(),
            detail: Some(error.to_string()),
        })?;
        let current = state.accounts();
        let accounts = if accounts_changed {
            let system = state.system.as_ref().map(|system| &system.account);
            let rebuilt = current
                .rebuild(&new.accounts, !new.no_sublist_cache, system)
                .map_err(|error| ReloadError {
                    field: "accounts",
                    old: String::new(),
                    new: String::new(),
                    detail: Some(error),
                })?;
            // Imports both configurations have kept their forwards; new ones are wired
            // already, and the old ones go now.
            current.unwire_replaced(&rebuilt);
            if let Some(system) = &state.system {
                system.import_into_new(&rebuilt);
            }
            Arc::new(rebuilt)
        } else {
            current
        };
        let mut changes = describe(&old, &new);
        changes.extend(describe_tls(&old, &new));
        rewrite_process_files(state, &old, &new);
        // Readers pick the new options up at once; one whose client the new configuration
        // rejects or moves to another account closes it.
        state.replace_options(new, accounts, tls);
        Ok(changes)
    }
}

/// Writes the pid file and the ports file where the new options want them; failures are
/// logged, as they do not stop a running server.
fn rewrite_process_files(state: &ServerState, old: &Options, new: &Options) {
    if new.pid_file != old.pid_file
        && let Some(path) = &new.pid_file
        && let Err(error) = process_files::write_pid_file(path)
    {
        tracing::error!("Could not write pidfile: {error}");
    }
    if new.ports_file_dir == old.ports_file_dir {
        return;
    }
    let mut current = state.ports_file.lock();
    if let Some(path) = current.take()
        && let Err(error) = std::fs::remove_file(&path)
    {
        tracing::error!("Error cleaning up ports file {}: {error}", path.display());
    }
    if let Some(dir) = &new.ports_file_dir {
        match process_files::write_ports_file(dir, &new.host, state.client_port) {
            Ok(path) => *current = Some(path),
            Err(error) => tracing::error!("Error writing ports file: {error}"),
        }
    }
}

/// The first option that changed but cannot change while running, in the reference's order.
fn refuse_fixed(old: &Options, new: &Options) -> Result<(), ReloadError> {
    fn check<T: PartialEq + fmt::Display>(
        field: &'static str,
        old: T,
        new: T,
    ) -> Result<(), ReloadError> {
        if old == new {
            return Ok(());
        }
        Err(ReloadError {
            field,
            old: old.to_string(),
            new: new.to_string(),
            detail: None,
        })
    }
    let name = |options: &Options| options.server_name.clone().unwrap_or_default();
    let port = |port: Option<u16>| port.map(|p| p.to_string()).unwrap_or_else(|| "0".into());
    check("ServerName", name(old), name(new))?;
    check("Host", old.host.as_str(), new.host.as_str())?;
    check("Port", old.port, new.port)?;
    let no_auth_user = |options: &Options| options.no_auth_user.clone().unwrap_or_default();
    check("NoAuthUser", no_auth_user(old), no_auth_user(new))?;
    check("MaxSubs", old.max_subscriptions, new.max_subscriptions)?;
    check("MaxPending", old.max_pending, new.max_pending)?;
    check(
        "NoHeaderSupport",
        old.no_header_support,
        new.no_header_support,
    )?;
    check("NoSublistCache", old.no_sublist_cache, new.no_sublist_cache)?;
    let system = |options: &Options| options.system_account.clone().unwrap_or_default();
    check("SystemAccount", system(old), system(new))?;
    check(
        "NoSystemAccount",
        old.no_system_account,
        new.no_system_account,
    )?;
    check(
        "MaxClosedClients",
        old.max_closed_clients,
        new.max_closed_clients,
    )?;
    let host = |options: &Options| options.http_host.clone().unwrap_or_default();
    check("HTTPHost", host(old), host(new))?;
    check("HTTPPort", port(old.http_port), port(new.http_port))?;
    check("HTTPSPort", port(old.https_port), port(new.https_port))?;
    check("AllowNonTLS", old.allow_non_tls, new.allow_non_tls)?;
    check(
        "HTTPBasePath",
        old.http_base_path.as_str(),
        new.http_base_path.as_str(),
    )?;
    let duration = |d: std::time::Duration| format!("{d:?}");
    check(
        "LameDuckDuration",
        duration(old.lame_duck_duration),
        duration(new.lame_duck_duration),
    )?;
    check(
        "LameDuckGracePeriod",
        duration(old.lame_duck_grace_period),
        duration(new.lame_duck_grace_period),
    )
}

/// The user, password and token of the single identity; empty when not set.
fn single_identity(auth: &Authentication) -> (&str, &str, &str) {
    match auth {
        Authentication::None => ("", "", ""),
        Authentication::Token(token) => ("", "", token),
        Authentication::UserPassword { user, password } => (user, password, ""),
    }
}

/// One line per reloadable option that changed, in the reference's words.
fn describe(old: &Options, new: &Options) -> Vec<String> {
    let mut lines = Vec::new();
    let mut note = |changed: bool, line: String| {
        if changed {
            lines.push(line);
        }
    };
    let path = |path: &Option<std::path::PathBuf>| {
        path.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    note(
        old.pid_file != new.pid_file,
        format!("Reloaded: pid_file = {}", path(&new.pid_file)),
    );
    note(
        old.ports_file_dir != new.ports_file_dir,
        format!("Reloaded: ports_file_dir = {}", path(&new.ports_file_dir)),
    );
    note(
        old.client_advertise != new.client_advertise,
        format!(
            "Reload: client_advertise = {}",
            new.client_advertise.as_deref().unwrap_or_default()
        ),
    );
    // The reference rebuilds users and accounts at every reload and names both each time,
    // whether they changed or not.
    note(true, "Reloaded: authorization users".to_owned());
    note(true, "Reloaded: accounts".to_owned());
    let (old_user, old_password, old_token) = single_identity(&old.auth);
    let (new_user, new_password, new_token) = single_identity(&new.auth);
    note(
        old_user != new_user,
        "Reloaded: authorization username".to_owned(),
    );
    note(
        old_password != new_password,
        "Reloaded: authorization password".to_owned(),
    );
    note(
        old_token != new_token,
        "Reloaded: authorization token".to_owned(),
    );
    note(
        old.auth_timeout != new.auth_timeout,
        format!(
            "Reloaded: authorization timeout = {}",
            new.auth_timeout.as_secs_f64()
        ),
    );
    note(
        old.ping_interval != new.ping_interval,
        format!(
            "Reloaded: ping_interval = {}",
            go_duration(new.ping_interval)
        ),
    );
    note(
        old.ping_max != new.ping_max,
        format!("Reloaded: ping_max = {}", new.ping_max),
    );
    note(
        old.write_deadline != new.write_deadline,
        format!(
            "Reloaded: write_deadline = {}",
            go_duration(new.write_deadline)
        ),
    );
    note(
        old.max_connections != new.max_connections,
        format!("Reloaded: max_connections = {}", new.max_connections),
    );
    note(
        old.max_payload != new.max_payload,
        format!("Reloaded: max_payload = {}", new.max_payload),
    );
    note(
        old.max_control_line != new.max_control_line,
        format!("Reloaded: max_control_line = {}", new.max_control_line),
    );
    note(
        old.max_traced_msg_len != new.max_traced_msg_len,
        format!("Reloaded: max_traced_msg_len = {}", new.max_traced_msg_len),
    );
    note(
        old.no_fast_producer_stall != new.no_fast_producer_stall,
        format!(
            "Reloaded: fast producers will {}be stalled",
            if new.no_fast_producer_stall {
                "not "
            } else {
                ""
            }
        ),
    );
    lines
}

/// The lines for a changed `tls` block, in the reference's words: the timeout and the
/// handshake order have their own; any other change reloads the certificates.
fn describe_tls(old: &Options, new: &Options) -> Vec<String> {
    let timeout = |o: &Options| o.tls.as_ref().map_or(DEFAULT_TLS_TIMEOUT, |t| t.timeout);
    let first = |o: &Options| {
        o.tls
            .as_ref()
            .is_some_and(|t| t.handshake_first != HandshakeFirst::Off)
    };
    // The block without the settings that have their own line.
    let rest = |o: &Options| {
        o.tls.as_ref().map(|t| TlsOptions {
            timeout: DEFAULT_TLS_TIMEOUT,
            handshake_first: HandshakeFirst::Off,
            ..t.clone()
        })
    };
    let mut lines = Vec::new();
    if timeout(old) != timeout(new) {
        lines.push(format!(
            "Reloaded: tls timeout = {}",
            timeout(new).as_secs_f64()
        ));
    }
    if rest(old) != rest(new) {
        let state = if new.tls.is_some() {
            "enabled"
        } else {
            "disabled"
        };
        lines.push(format!("Reloaded: tls = {state}"));
    }
    if first(old) != first(new) {
        lines.push(format!(
            "Reloaded: Client TLS handshake first: {}",
            first(new)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn fixed_options_are_refused_with_the_reference_text() {
        let old = Options::default();
        let new = Options {
            port: 14779,
            ..Options::default()
        };
        let error = refuse_fixed(&old, &new).expect_err("port is fixed");
        assert_eq!(
            error.to_string(),
            "config reload not supported for Port: old=4222, new=14779"
        );
        let renamed = Options {
            server_name: Some("foo".into()),
            ..Options::default()
        };
        assert_eq!(
            refuse_fixed(&old, &renamed).map_err(|e| e.to_string()),
            Err("config reload not supported for ServerName: old=, new=foo".into())
        );
    }

    #[test]
    fn the_system_account_is_fixed_while_running() {
        let old = Options::default();
        let new = Options {
            system_account: Some("SYS".into()),
            ..Options::default()
        };
        assert_eq!(
            refuse_fixed(&old, &new).map_err(|e| e.to_string()),
            Err("config reload not supported for SystemAccount: old=, new=SYS".into())
        );
        let new = Options {
            no_system_account: true,
            ..Options::default()
        };
        assert_eq!(
            refuse_fixed(&old, &new).map_err(|e| e.to_string()),
            Err("config reload not supported for NoSystemAccount: old=false, new=true".into())
        );
    }

    #[test]
    fn reloadable_changes_are_described() {
        let old = Options::default();
        let new = Options {
            max_payload: 2 * 1024 * 1024,
            ping_interval: Duration::from_secs(30),
            auth: Authentication::Token("t".into()),
            ..Options::default()
        };
        assert!(refuse_fixed(&old, &new).is_ok());
        assert_eq!(
            describe(&old, &new),
            [
                "Reloaded: authorization users",
                "Reloaded: accounts",
                "Reloaded: authorization token",
                "Reloaded: ping_interval = 30s",
                "Reloaded: max_payload = 2097152",
            ]
        );
    }
}
