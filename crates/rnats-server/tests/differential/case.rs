//! The shape of a differential case and helpers for writing them.

/// How a step ends once its bytes are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Send `PING\r\n` and read until the `PONG`: everything the server does in reply to the
    /// step (and every message it routed to this connection before) has then arrived.
    Sync,
    /// The server must close the connection: read until EOF (bounded).
    ExpectClose,
    /// Read for this many milliseconds; for places with no reply to wait for (half an op, half
    /// a payload, or between the chunks of a split op).
    Quiet(u64),
}

/// One step: bytes sent on one connection, then how to finish.
#[derive(Debug, Clone)]
pub struct Step {
    /// Index of the connection (connections are opened in index order before the first step).
    pub conn: usize,
    /// Bytes to send (may be empty, for a bare barrier).
    pub send: Vec<u8>,
    /// How the step ends.
    pub finish: Finish,
}

/// Server options a case needs. The reference gets `args` and `config`; rnats gets `rnats()`;
/// plain words which rnats option that is, for the rnats arm of `start_target`.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// Extra `nats-server` command-line arguments.
    pub args: &'static [&'static str],
    /// `nats-server` configuration file text, if any.
    pub config: Option<&'static str>,
    /// The same options for rnats.
    pub rnats: fn() -> rnats_server::Options,
}

/// Setups are the same when the reference gets the same arguments and configuration.
impl PartialEq for Setup {
    fn eq(&self, other: &Setup) -> bool {
        self.args == other.args && self.config == other.config
    }
}

impl Setup {
    /// The reference's arguments and configuration, for reports.
    pub fn describe(&self) -> String {
        format!(
            "args {:?}, config {:?}",
            self.args,
            self.config.unwrap_or("")
        )
    }

    /// No options: the defaults. Cases with this setup may share a long-lived server.
    pub const DEFAULT: Setup = Setup {
        args: &[],
        config: None,
        rnats: rnats_server::Options::local,
    };
    /// Username/password authentication.
    pub const USER_PASS: Setup = Setup {
        args: &["--user", "u", "--pass", "p"],
        config: None,
        rnats: || rnats_server::Options {
            auth: rnats_server::Authentication::UserPassword {
                user: "u".into(),
                password: "p".into(),
            },
            ..rnats_server::Options::local()
        },
    };
    /// Token authentication.
    pub const TOKEN: Setup = Setup {
        args: &["--auth", "s3cr3t"],
        config: None,
        rnats: || rnats_server::Options {
            auth: rnats_server::Authentication::Token("s3cr3t".into()),
            ..rnats_server::Options::local()
        },
    };
    /// A small maximum payload.
    pub const MAX_PAYLOAD_1K: Setup = Setup {
        args: &[],
        config: Some("max_payload: 1024\n"),
        rnats: || rnats_server::Options {
            max_payload: 1024,
            ..rnats_server::Options::local()
        },
    };
    /// A small maximum control line.
    pub const MAX_CONTROL_LINE_64: Setup = Setup {
        args: &[],
        config: Some("max_control_line: 64\n"),
        rnats: || rnats_server::Options {
            max_control_line: 64,
            ..rnats_server::Options::local()
        },
    };
}

/// A scripted conversation with one server.
#[derive(Debug, Clone)]
pub struct Case {
    /// Unique name, printed on mismatch.
    pub name: &'static str,
    /// Server options.
    pub setup: Setup,
    /// The steps, run in order.
    pub steps: Vec<Step>,
    /// Connections that are members of one queue group: they are compared together, as the
    /// multiset of all the ops they received, because the server picks members at random.
    pub pool: Vec<usize>,
}

impl Case {
    /// A case with default options and no steps yet.
    pub fn new(name: &'static str) -> Case {
        Case {
            name,
            setup: Setup::DEFAULT,
            steps: Vec::new(),
            pool: Vec::new(),
        }
    }

    /// Runs the case against servers started with `setup`.
    pub fn with(mut self, setup: Setup) -> Case {
        self.setup = setup;
        self
    }

    /// Adds a step: send `bytes` on `conn`, then `finish`.
    pub fn step(mut self, conn: usize, bytes: impl AsRef<[u8]>, finish: Finish) -> Case {
        self.steps.push(Step {
            conn,
            send: bytes.as_ref().to_vec(),
            finish,
        });
        self
    }

    /// Adds a step ending with a PING/PONG barrier.
    pub fn sync(self, conn: usize, bytes: impl AsRef<[u8]>) -> Case {
        self.step(conn, bytes, Finish::Sync)
    }

    /// Adds a step after which the server must close the connection.
    pub fn close(self, conn: usize, bytes: impl AsRef<[u8]>) -> Case {
        self.step(conn, bytes, Finish::ExpectClose)
    }

    /// Adds a step after which the server must stay silent for `ms` milliseconds.
    pub fn quiet(self, conn: usize, bytes: impl AsRef<[u8]>, ms: u64) -> Case {
        self.step(conn, bytes, Finish::Quiet(ms))
    }

    /// Sends `bytes` as separate writes on `conn`, pausing after each but the last (the server
    /// must stay silent on each partial op), then ends with a barrier.
    pub fn chunked(mut self, conn: usize, chunks: &[&[u8]]) -> Case {
        let Some((last, init)) = chunks.split_last() else {
            return self;
        };
        for chunk in init {
            self = self.quiet(conn, chunk, SPLIT_PAUSE_MS);
        }
        self.sync(conn, last)
    }

    /// Marks `conns` as members of one queue group (see [`Case::pool`]).
    pub fn pool(mut self, conns: &[usize]) -> Case {
        self.pool = conns.to_vec();
        self
    }

    /// Number of connections the case uses.
    pub fn conns(&self) -> usize {
        self.steps.iter().map(|s| s.conn + 1).max().unwrap_or(0)
    }

    /// Whether the case can run on a server shared with other, concurrent cases: default
    /// options and no subscriptions, so it cannot observe anyone else's messages (and nobody
    /// can observe its own).
    pub fn shareable(&self) -> bool {
        self.setup == Setup::DEFAULT
            && self
                .steps
                .iter()
                .all(|s| !s.send.to_ascii_uppercase().windows(3).any(|w| w == b"SUB"))
    }
}

/// Pause between the chunks of a split op: long enough that the server reads them separately.
pub const SPLIT_PAUSE_MS: u64 = 20;

/// Pause used to check that the server stays silent.
pub const QUIET_MS: u64 = 60;

/// `CONNECT` with `verbose` and `pedantic` off (a quiet, normal client).
pub const CONNECT: &str = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";

/// `CONNECT` with `verbose` on.
pub const CONNECT_VERBOSE: &str = "CONNECT {\"verbose\":true,\"pedantic\":false}\r\n";

/// `CONNECT` with headers on.
pub const CONNECT_HEADERS: &str = "CONNECT {\"verbose\":false,\"headers\":true}\r\n";

/// `CONNECT` with headers and no-responders on.
pub const CONNECT_NO_RESPONDERS: &str =
    "CONNECT {\"verbose\":false,\"headers\":true,\"no_responders\":true}\r\n";

/// A `PUB` op with its payload.
pub fn publish(subject: &str, reply: Option<&str>, payload: &str) -> String {
    let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
    format!("PUB {subject}{reply} {}\r\n{payload}\r\n", payload.len())
}

/// An `HPUB` op with its header block and payload.
pub fn hpublish(subject: &str, reply: Option<&str>, headers: &str, payload: &str) -> String {
    let reply = reply.map(|r| format!(" {r}")).unwrap_or_default();
    let (h, t) = (headers.len(), headers.len() + payload.len());
    format!("HPUB {subject}{reply} {h} {t}\r\n{headers}{payload}\r\n")
}

/// Concatenates protocol pieces.
pub fn cat(parts: &[&str]) -> String {
    parts.concat()
}
