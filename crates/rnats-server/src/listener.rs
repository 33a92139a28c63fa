//! Accepting client connections.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::client::connection;
use crate::server::ServerState;

/// The first pause after a failed accept (e.g. out of file descriptors); it doubles up to a second.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts clients until the server shuts down, one task per connection.
pub(crate) async fn accept_loop(server: Arc<ServerState>, listener: TcpListener) {
    accept_until_stopped(&server, listener).await;
    // The listener was dropped on return: new connections are refused from here on.
    server.listener_closed.cancel();
}

async fn accept_until_stopped(server: &Arc<ServerState>, listener: TcpListener) {
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        let accepted = tokio::select! {
            () = server.accepting.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, addr)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                // Latency matters more than packet count: messages are already batched per write.
                let _ = stream.set_nodelay(true);
                server
                    .tasks
                    .spawn(connection::serve(server.clone(), stream, addr));
            }
            Err(error) => {
                tracing::error!(
                    "Temporary Client Accept Error({error}), sleeping {}ms",
                    backoff.as_millis()
                );
                tokio::select! {
                    () = server.accepting.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
}
