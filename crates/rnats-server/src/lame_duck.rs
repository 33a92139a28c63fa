//! Lame duck mode: leave gently, so clients move to other servers without a storm.
//!
//! The server stops accepting, tells clients that accept INFO updates (`"ldm":true`) so they
//! can pick another server, waits the grace period, closes the remaining clients spread over
//! the rest of `lame_duck_duration` (at most a second apart, in batches when there are many),
//! and shuts down. nats-server does the same on SIGUSR2.

use std::time::Duration;

use crate::client::{ClientHandle, CloseReason};
use crate::server::{Server, ServerState};

/// The longest pause between two client closes.
const MAX_CLOSE_INTERVAL: Duration = Duration::from_secs(1);

impl Server {
    /// Enters lame duck mode and shuts down at its end (or earlier, if asked to).
    pub async fn lame_duck(self) {
        let state = self.state().clone();
        state.accepting.cancel();
        state.listener_closed.cancelled().await;
        // Logged once it is true, so whoever reads the line can count on it.
        tracing::info!("Entering lame duck mode, stop accepting new clients");
        state.announce_lame_duck();
        let grace = state.options().lame_duck_grace_period;
        tokio::select! {
            () = state.shutdown.cancelled() => {}
            () = tokio::time::sleep(grace) => {
                tracing::info!("Closing existing clients");
                state.close_clients_gradually().await;
            }
        }
        self.shutdown().await;
    }
}

impl ServerState {
    /// Sends INFO with `"ldm":true` to every client that accepts INFO updates.
    fn announce_lame_duck(&self) {
        for client in self.client_handles() {
            if client.identity().protocol >= 1 {
                self.announce_lame_duck_to(&client);
            }
        }
    }

    /// Sends INFO with `"ldm":true` to `client`.
    pub(crate) fn announce_lame_duck_to(&self, client: &ClientHandle) {
        let mut info = self.client_info(client.id, client.addr);
        info.ldm = true;
        if client.enqueue_protocol(|buf| info.encode(buf)) {
            client.flush();
        }
    }

    /// Closes the clients over what is left of the lame duck duration after the grace period.
    async fn close_clients_gradually(&self) {
        let clients = self.client_handles();
        let Some(count) = u32::try_from(clients.len()).ok().filter(|&n| n > 0) else {
            return;
        };
        let options = self.options();
        let spread = options
            .lame_duck_duration
            .saturating_sub(options.lame_duck_grace_period)
            .max(Duration::from_secs(1));
        let interval = (spread / count).min(MAX_CLOSE_INTERVAL);
        // With very many clients the interval gets tiny; close them in batches instead.
        let batch = if interval < Duration::from_millis(1) {
            clients.len() / spread.as_millis().max(1) as usize + 1
        } else {
            1
        };
        let interval = interval.max(Duration::from_millis(1));
        for group in clients.chunks(batch) {
            for client in group {
                client.close(CloseReason::ServerShutdown);
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}
