//! The reader task of a client connection: parses what the client sends and acts on it.
//!
//! One read, then every complete operation in the buffer is handled in order (so a
//! publisher's messages keep their order), then every writer that got bytes during the batch
//! is woken once. Handling never awaits: a read batch is pure CPU work between two reads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rnats_proto::encode::{OK, PING, PONG, encode_err};
use rnats_proto::{ClientOp, ClientParser, ConnectOptions, ParseError, Parsed, ServerError};
use rnats_subject::is_valid_literal_subject;
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

use super::delivery::Batch;
use super::match_cache::MatchCache;
use super::read_buffer::ReadBuffer;
use super::transport::{ClientRead, ClientWrite, PlainReader, PlainWriter, Read};
use super::{ClientHandle, CloseReason, trace, writer};
use crate::auth::{Authenticator, CompiledPermissions};
use crate::options::{FIRST_PING_INTERVAL, Options};
use crate::server::ServerState;
use crate::subscription::{BySid, Subscription, SubscriptionRef};
use crate::tls::{Accepted, CertIdentity};

/// A queue group name clients may not use: the reference reserves it for the system.
const SYSTEM_QUEUE: &[u8] = b"_sys_";
/// Without a fresh round-trip time for this long, a PING goes out even to a busy client.
const RTT_REFRESH: Duration = Duration::from_secs(3600);
/// The longest a publisher pauses after one read batch for consumers it outruns. The
/// reference pauses 2-5 ms per message to a lagging consumer, up to 10 ms per read.
const STALL_TOTAL: Duration = Duration::from_millis(10);

/// Serves one accepted client socket until it closes.
pub(crate) async fn serve(server: Arc<ServerState>, stream: TcpStream, addr: SocketAddr) {
    let id = server.next_client_id();
    let account = server.global_account.clone();
    let options = server.options();
    let handle = ClientHandle::new(id, addr, account, options.max_pending);
    let handle = Arc::new(handle.with_nonce(server.authenticator().nonce()));
    client_log!(debug, handle, "Client connection created");
    let Some(tls) = server.tls() else {
        handle.enqueue_protocol(|buf| server.first_info(&handle).encode(buf));
        // Shared, not split: the reader needs `try_io` (only on `TcpStream`) to clear readiness.
        let stream = Arc::new(stream);
        let (reader, writer) = (PlainReader(stream.clone()), PlainWriter(stream));
        return serve_protocol(server, handle, reader, writer, None).await;
    };
    // Boxed: a future holds room for its largest branch, and the TLS one (handshake and
    // TLS streams) would otherwise make every plain connection's task bigger.
    Box::pin(serve_tls(server, tls, handle, stream)).await;
}

/// Serves a connection on a port with TLS: the handshake, then the protocol.
async fn serve_tls(
    server: Arc<ServerState>,
    tls: Arc<crate::tls::TlsSetup>,
    handle: Arc<ClientHandle>,
    stream: TcpStream,
) {
    match crate::tls::accept(&server, &tls, &handle, stream).await {
        None => {}
        Some(Accepted::Plain { stream }) => {
            let stream = Arc::new(stream);
            let (reader, writer) = (PlainReader(stream.clone()), PlainWriter(stream));
            serve_protocol(server, handle, reader, writer, None).await;
        }
        Some(Accepted::Tls {
            stream,
            send_info,
            peer,
            session,
        }) => {
            handle.set_tls_session(session);
            if send_info {
                handle.enqueue_protocol(|buf| server.first_info(&handle).encode(buf));
            }
            let (reader, writer) = crate::tls::split(*stream);
            serve_protocol(server, handle, reader, writer, peer).await;
        }
    }
}

/// Runs the protocol on a connection until it closes: the writer task, and the reader here.
async fn serve_protocol<R: ClientRead, W: ClientWrite>(
    server: Arc<ServerState>,
    handle: Arc<ClientHandle>,
    mut reader: R,
    writer: W,
    peer: Option<Box<CertIdentity>>,
) {
    let deadline = server.options().write_deadline;
    let mut writer = server
        .tasks
        .spawn(writer::run(handle.clone(), writer, deadline));
    let registered = server.register(&handle);
    let reason = if registered {
        let mut connection = ClientConnection::new(server.clone(), handle.clone());
        connection.peer = peer;
        connection.run(&mut reader).await
    } else {
        client_log!(error, handle, "maximum connections exceeded");
        handle.enqueue_protocol(|buf| encode_err(&ServerError::MaxConnectionsExceeded, buf));
        CloseReason::MaxConnectionsExceeded
    };
    // Closing first stops publishers from queueing more; then the subscriptions go.
    handle.close(reason);
    let reason = handle.close_reason().unwrap_or(reason);
    report_slow_consumer(&server, &handle, reason);
    // The last snapshot, with its subscriptions, is what /connz shows of a closed connection.
    let last = handle.snapshot(true);
    handle.remove_all_subscriptions();
    if registered {
        server.deregister(&handle, last);
    }
    if !reason.flushes_first() || tokio::time::timeout(deadline, &mut writer).await.is_err() {
        writer.abort();
    }
    client_log!(debug, handle, "Client connection closed: {reason}");
}

/// Counts and logs a client cut off as a slow consumer, whichever limit it hit.
fn report_slow_consumer(server: &ServerState, handle: &ClientHandle, reason: CloseReason) {
    match reason {
        CloseReason::SlowConsumerPendingBytes => client_log!(
            info,
            handle,
            "Slow Consumer Detected: MaxPending of {} Exceeded",
            handle.max_pending
        ),
        CloseReason::SlowConsumerWriteDeadline => client_log!(
            info,
            handle,
            "Slow Consumer Detected: WriteDeadline of {:?} exceeded",
            server.options().write_deadline
        ),
        _ => return,
    }
    server.stats.add_slow_consumer();
}

/// The reader's state for one client.
pub(crate) struct ClientConnection {
    pub(super) server: Arc<ServerState>,
    /// The server's options as of `settings_generation`; refreshed after a reload.
    pub(super) settings: Arc<Options>,
    settings_generation: u64,
    pub(super) handle: Arc<ClientHandle>,
    pub(super) parser: ClientParser,
    pub(super) options: ConnectOptions,
    /// CONNECT was accepted.
    connected: bool,
    /// The first PING after CONNECT was answered (it may carry the second INFO).
    answered_first_ping: bool,
    pings_out: u32,
    ping_sent_at: Option<Instant>,
    /// The last round-trip time measured, and when.
    rtt: Option<(Duration, Instant)>,
    last_in: Instant,
    pub(super) cache: MatchCache,
    pub(super) batch: Batch,
    /// The identities and permissions clients are checked against, as of `settings`.
    pub(super) auth: Arc<Authenticator>,
    /// What the client may publish and subscribe to; `None` is anything.
    pub(super) permissions: Option<Arc<CompiledPermissions>>,
    /// The identities of the client's TLS certificate, when it presented one.
    peer: Option<Box<CertIdentity>>,
    /// What a user JWT limits (operator mode); `None` for other clients.
    pub(super) jwt: Option<Box<super::operator::JwtSession>>,
    /// Limits of its own, from its account or JWT, below the server's.
    pub(super) limits: super::limits::ConnectionLimits,
}

/// What woke the reader.
enum Event {
    Readable(std::io::Result<()>),
    PingTimer,
    AuthTimer,
    /// Another task closed the client, or has news for it.
    Woken,
    Shutdown,
}

impl ClientConnection {
    fn new(server: Arc<ServerState>, handle: Arc<ClientHandle>) -> Self {
        let settings_generation = server.options_generation();
        let settings = server.options();
        let mut parser = ClientParser::new(
            settings.max_control_line as usize,
            settings.max_payload as usize,
        );
        let auth = server.authenticator();
        parser.set_awaiting_connect(auth.info_auth_required());
        ClientConnection {
            auth,
            permissions: None,
            settings,
            settings_generation,
            parser,
            options: ConnectOptions::default(),
            connected: false,
            answered_first_ping: false,
            pings_out: 0,
            ping_sent_at: None,
            rtt: None,
            last_in: Instant::now(),
            cache: MatchCache::default(),
            batch: Batch::default(),
            peer: None,
            jwt: None,
            limits: super::limits::ConnectionLimits::default(),
            server,
            handle,
        }
    }

    /// The identities of the client's TLS certificate (subject, email and DNS names), for
    /// `verify_and_map` authentication; `None` without TLS or without a client certificate.
    pub(crate) fn peer_identity(&self) -> Option<&CertIdentity> {
        self.peer.as_deref()
    }

    /// Picks up the options a reload installed: new limits for the parser, and a check of
    /// the client's credentials against the new authentication.
    fn reload_settings(&mut self) -> Result<(), CloseReason> {
        self.settings_generation = self.server.options_generation();
        self.settings = self.server.options();
        let settings = &self.settings;
        self.parser
            .set_max_control_line(settings.max_control_line as usize);
        self.parser.set_max_payload(settings.max_payload as usize);
        self.apply_payload_limit();
        if !self.connected {
            self.auth = self.server.authenticator();
            self.parser
                .set_awaiting_connect(self.auth.info_auth_required());
            return Ok(());
        }
        self.reauthenticate()
    }

    /// Reads and handles input until the connection must close, and says why.
    async fn run<R: ClientRead>(mut self, reader: &mut R) -> CloseReason {
        let mut buffer = ReadBuffer::default();
        let ping_timer = tokio::time::sleep(first_ping_delay(self.settings.ping_interval));
        let auth_timer = tokio::time::sleep(self.settings.auth_timeout);
        tokio::pin!(ping_timer, auth_timer);
        let handle = self.handle.clone();
        let server = self.server.clone();
        loop {
            if server.options_generation() != self.settings_generation
                && let Err(reason) = self.reload_settings()
            {
                self.flush_batch();
                return reason;
            }
            let awaiting_auth = !self.connected && self.auth.is_required();
            let event = tokio::select! {
                biased;
                () = handle.woken() => Event::Woken,
                () = server.shutdown.cancelled() => Event::Shutdown,
                () = &mut auth_timer, if awaiting_auth => Event::AuthTimer,
                () = &mut ping_timer => Event::PingTimer,
                ready = reader.ready(&mut buffer) => Event::Readable(ready),
            };
            let outcome = match event {
                Event::Readable(Ok(())) => self.on_readable(reader, &mut buffer).await,
                Event::Readable(Err(_)) => Err(CloseReason::ReadError),
                Event::PingTimer => {
                    let next = self.on_ping_timer();
                    ping_timer.as_mut().reset(TokioInstant::now() + next);
                    self.flush_batch();
                    self.ping_outcome()
                }
                Event::AuthTimer => {
                    self.send_err(&ServerError::AuthenticationTimeout);
                    client_log!(error, self.handle, "Authentication Timeout");
                    Err(CloseReason::AuthenticationTimeout)
                }
                Event::Woken => match self.handle.close_reason() {
                    Some(reason) => Err(reason),
                    // The options were checked above; the account's claims may have changed.
                    None => self.refresh_jwt_grant(),
                },
                Event::Shutdown => Err(CloseReason::ServerShutdown),
            };
            if let Err(reason) = outcome {
                self.flush_batch();
                return reason;
            }
        }
    }

    /// One read batch, then the pauses it calls for: a stall for consumers it outruns, and a
    /// yield so the writers it woke send this batch before the next read.
    async fn on_readable<R: ClientRead>(
        &mut self,
        reader: &mut R,
        buffer: &mut ReadBuffer,
    ) -> Result<(), CloseReason> {
        let drained = self.read_batch(reader, buffer)?;
        if !self.batch.stalled.is_empty() {
            self.stall().await;
        }
        // A socket that always has data never makes this task wait, so the writers it just
        // woke (queued on this worker) would wait for its whole cooperative budget: yield.
        // After a short read the socket is drained and the next wait gives way by itself; a
        // yield would only make tokio wake another worker to steal this task.
        if std::mem::take(&mut self.batch.woke_writers) && !drained {
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    /// Gives consumers this client outruns a moment to catch up before it reads more (the
    /// reference's fast-producer stall). Not reading pushes back on the publisher through
    /// TCP; a consumer that stays stuck still reaches max_pending and is cut off.
    async fn stall(&mut self) {
        self.server.stats.add_stalled_client();
        let started = Instant::now();
        let mut stalled = std::mem::take(&mut self.batch.stalled);
        for client in &stalled {
            let Some(left) = STALL_TOTAL.checked_sub(started.elapsed()) else {
                break;
            };
            if tokio::time::timeout(left, client.drained()).await.is_err() {
                client_log!(
                    debug,
                    self.handle,
                    "Timed out of fast producer stall ({left:?})"
                );
            }
        }
        stalled.clear();
        self.batch.stalled = stalled;
    }

    /// One read and everything it completes; says whether the read drained the socket, or
    /// names the close reason.
    fn read_batch<R: ClientRead>(
        &mut self,
        reader: &mut R,
        buffer: &mut ReadBuffer,
    ) -> Result<bool, CloseReason> {
        let (read, drained) = match reader.read(buffer) {
            Ok(Read::Data { len, drained }) => (len, drained),
            Ok(Read::Nothing) => return Ok(true),
            Ok(Read::Closed) => return Err(CloseReason::ClientClosed),
            Err(_) => return Err(CloseReason::ReadError),
        };
        self.last_in = Instant::now();
        let result = self.process(buffer);
        buffer.after_read(read);
        self.flush_batch();
        result.map(|()| drained)
    }

    /// Handles every complete operation at the front of the buffer and consumes it.
    fn process(&mut self, buffer: &mut ReadBuffer) -> Result<(), CloseReason> {
        let bytes = &buffer.bytes[..];
        let mut consumed = 0;
        let result = loop {
            match self.parser.parse(&bytes[consumed..]) {
                Ok(Parsed::Op { op, len }) => {
                    consumed += len;
                    if trace::enabled() {
                        trace::inbound(&self.handle, &op, self.settings.max_traced_msg_len);
                    }
                    if let Err(reason) = self.handle_op(op) {
                        break Err(reason);
                    }
                }
                Ok(Parsed::Skipped(len)) => consumed += len,
                Ok(Parsed::Incomplete { needed }) => {
                    buffer.needed = needed;
                    break Ok(());
                }
                Err(error) => break Err(self.parse_failed(&error)),
            }
        };
        buffer.consume(consumed);
        result
    }

    fn handle_op(&mut self, op: ClientOp<'_>) -> Result<(), CloseReason> {
        match op {
            ClientOp::Publish(publish) => {
                if self.options.pedantic && !is_valid_literal_subject(publish.subject) {
                    self.send_err(&ServerError::InvalidPublishSubject);
                }
                if self.publish(&publish).is_err() {
                    self.publish_violation(publish.subject);
                }
            }
            ClientOp::Subscribe {
                subject,
                queue,
                sid,
            } => self.subscribe(subject, queue, sid),
            ClientOp::Unsubscribe { sid, max } => self.unsubscribe(sid, max),
            ClientOp::Ping => self.ping(),
            ClientOp::Pong => self.pong(),
            ClientOp::Connect(json) => return self.connect(json),
            ClientOp::Info(json) => {
                // Clients have no business sending INFO, but the reference only checks the JSON.
                if serde_json::from_slice::<Option<serde_json::Map<_, _>>>(json).is_err() {
                    return Err(CloseReason::ProtocolViolation);
                }
            }
            ClientOp::Ok => {}
            ClientOp::Err(text) => {
                let text = String::from_utf8_lossy(text);
                client_log!(error, self.handle, "Client Error {text}");
                return Err(CloseReason::ParseError);
            }
        }
        Ok(())
    }

    fn connect(&mut self, json: &[u8]) -> Result<(), CloseReason> {
        if let Err(error) = self.options.apply_json(json) {
            client_log!(error, self.handle, "{error}");
            return Err(CloseReason::ProtocolViolation);
        }
        let failure = if !(0..=1).contains(&self.options.protocol) {
            Some((
                ServerError::InvalidClientProtocol,
                CloseReason::BadClientProtocolVersion,
            ))
        } else if self.options.no_responders && !self.options.headers {
            Some((
                ServerError::NoRespondersRequiresHeaders,
                CloseReason::NoRespondersRequiresHeaders,
            ))
        } else if self.options.account.is_some() || self.options.new_account.is_some() {
            Some((
                ServerError::AuthorizationViolation,
                CloseReason::AuthenticationViolation,
            ))
        } else {
            None
        };
        if let Some((error, reason)) = failure {
            client_log!(error, self.handle, "{error}");
            self.send_err(&error);
            return Err(reason);
        }
        if let Err(failure) = self.authenticate() {
            return Err(self.authentication_failed(&failure));
        }
        let headers = self.options.headers && !self.settings.no_header_support;
        self.parser.set_headers(headers);
        self.handle.set_headers(headers);
        self.parser.set_awaiting_connect(false);
        self.connected = true;
        if self.options.verbose {
            self.send(OK);
        }
        Ok(())
    }

    fn subscribe(&mut self, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) {
        if queue == Some(SYSTEM_QUEUE) {
            let error = ServerError::SubscribeViolation {
                subject: String::from_utf8_lossy(subject).into_owned(),
                queue: queue.map(|q| String::from_utf8_lossy(q).into_owned()),
            };
            client_log!(error, self.handle, "{error}");
            self.send_err(&error);
            return;
        }
        if !self.may_subscribe(subject, queue, sid) || !self.within_subscription_limit(sid) {
            return;
        }
        let mut subscriptions = self.handle.subscriptions.lock();
        let max = self.settings.max_subscriptions as usize;
        if max > 0 && subscriptions.len() >= max {
            drop(subscriptions);
            client_log!(error, self.handle, "maximum subscriptions exceeded");
            self.send_err(&ServerError::MaxSubscriptionsExceeded);
            return;
        }
        // A duplicate sid is ignored and the existing subscription kept, as in the reference.
        if !subscriptions.contains(sid) {
            let subscription =
                Arc::new(Subscription::new(self.handle.clone(), sid, subject, queue));
            let shared = SubscriptionRef(subscription.clone());
            if self
                .handle
                .account()
                .sublist
                .insert(subject, queue, shared)
                .is_err()
            {
                drop(subscriptions);
                self.send_err(&ServerError::InvalidSubject);
                return;
            }
            subscriptions.insert(BySid(subscription));
        }
        drop(subscriptions);
        if self.options.verbose {
            self.send(OK);
        }
    }

    fn unsubscribe(&mut self, sid: &[u8], max: Option<u64>) {
        let mut subscriptions = self.handle.subscriptions.lock();
        if let Some(BySid(subscription)) = subscriptions.get(sid) {
            match max {
                Some(max) if max > subscription.delivered() => subscription.set_max(max),
                _ => {
                    if let Some(BySid(subscription)) = subscriptions.take(sid) {
                        self.handle.account().remove_subscription(&subscription);
                    }
                }
            }
        }
        drop(subscriptions);
        if self.options.verbose {
            self.send(OK);
        }
    }

    fn ping(&mut self) {
        self.send(PONG);
        if self.connected && !self.answered_first_ping {
            self.answered_first_ping = true;
            if self.options.protocol >= 1 {
                let mut info = self.server.client_info(self.handle.id, self.handle.addr);
                info.connect_info = true;
                info.remote_account = Some(self.handle.account().name.clone());
                self.send_with(|buf| info.encode(buf));
            }
        }
    }

    fn pong(&mut self) {
        self.pings_out = 0;
        if let Some(sent) = self.ping_sent_at.take() {
            let rtt = sent.elapsed();
            self.handle.activity.record_rtt(rtt);
            self.rtt = Some((rtt, Instant::now()));
        }
    }

    /// Sends a PING when one is due and returns the delay until the timer should fire again.
    fn on_ping_timer(&mut self) -> Duration {
        let interval = self.settings.ping_interval;
        let rtt_due = self
            .rtt
            .is_none_or(|(_, measured)| measured.elapsed() > RTT_REFRESH);
        // A client that talked to us recently is alive; skip the PING unless an RTT is due.
        if self.last_in.elapsed() < interval && !rtt_due {
            return interval;
        }
        if self.pings_out < self.settings.ping_max {
            self.pings_out += 1;
            self.ping_sent_at.get_or_insert_with(Instant::now);
            self.send(PING);
        } else {
            self.pings_out += 1;
        }
        interval
    }

    /// Closes a connection whose PINGs went unanswered past `ping_max`.
    fn ping_outcome(&mut self) -> Result<(), CloseReason> {
        if self.pings_out <= self.settings.ping_max {
            return Ok(());
        }
        client_log!(debug, self.handle, "Stale Client Connection - Closing");
        self.server.stats.add_stale_connection();
        self.send_err(&ServerError::StaleConnection);
        Err(CloseReason::StaleConnection)
    }

    /// Reports a parse error the way the reference does and names the close reason.
    fn parse_failed(&mut self, error: &ParseError) -> CloseReason {
        client_log!(error, self.handle, "{error}");
        if let Some(reply) = error.reply() {
            self.send_err(&reply);
        }
        match error {
            ParseError::MaxControlLine { .. } => CloseReason::MaxControlLineExceeded,
            ParseError::MaxPayload { .. } => CloseReason::MaxPayloadExceeded,
            ParseError::AuthorizationViolation => CloseReason::AuthenticationViolation,
            _ => CloseReason::ProtocolViolation,
        }
    }

    fn send(&mut self, bytes: &'static [u8]) {
        if trace::enabled() {
            let line = String::from_utf8_lossy(bytes);
            trace::outbound(&self.handle, line.trim_start_matches('+').trim_end());
        }
        self.send_with(|buf| buf.extend_from_slice(bytes));
    }

    pub(super) fn send_err(&mut self, error: &ServerError) {
        if trace::enabled() {
            trace::outbound(&self.handle, &format!("-ERR '{error}'"));
        }
        self.send_with(|buf| encode_err(error, buf));
    }

    fn send_with(&mut self, encode: impl FnOnce(&mut BytesMut)) {
        if self.handle.enqueue_protocol(encode) {
            self.batch.schedule_flush(&self.handle);
        }
    }

    /// Wakes every writer that got bytes in this batch, and settles the batch's counters.
    fn flush_batch(&mut self) {
        self.batch.finish(&self.server.stats, &self.handle.activity);
    }
}

/// The delay before a connection's first PING: short, so dead peers are found early.
fn first_ping_delay(interval: Duration) -> Duration {
    let base = interval.min(FIRST_PING_INTERVAL);
    // Up to a fifth less, so connections accepted together do not ping together.
    base - base.mul_f64(fastrand::f64() * 0.2)
}
