//! Requests that act on the server rather than describe it, each to one server by id:
//! `$SYS.REQ.SERVER.<id>.KICK` closes a client, `.LDM` tells one client that the server is
//! going into lame duck mode, `.RELOAD` reloads the configuration file. The answer is
//! `{"server":{...}}`, or with an `error` (500) saying why nothing was done; a KICK or LDM
//! whose `{"cid":N}` does not decode gets no answer, as from the reference.

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::System;
use super::events::ServerInfoJson;
use super::requests::error_answer;
use crate::client::CloseReason;
use crate::monitor::json;
use crate::server::ServerState;

/// What a control request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlRequest {
    /// Close the client `cid` ("Kicked").
    Kick,
    /// Send the client `cid` an INFO with `"ldm":true`.
    LameDuck,
    /// Reload the configuration file.
    Reload,
}

/// The subject suffixes, after `$SYS.REQ.SERVER.<id>.`.
pub(crate) const SUFFIXES: [(&str, ControlRequest); 3] = [
    ("KICK", ControlRequest::Kick),
    ("LDM", ControlRequest::LameDuck),
    ("RELOAD", ControlRequest::Reload),
];

/// A reload asked for over the system account, and where its outcome goes.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// Why a reload cannot happen when nobody reloads configuration files (an embedded server
/// started from options), in the reference's words.
const NO_CONFIG_FILE: &str = "can only reload config when a file is provided using -c or --config";

#[derive(Deserialize)]
struct ClientRequest {
    cid: u64,
}

#[derive(Serialize)]
struct Done {
    server: ServerInfoJson,
}

/// The answer to a control request; `None` when the reference sends none.
pub(crate) async fn answer(
    server: &ServerState,
    system: &System,
    request: ControlRequest,
    payload: &[u8],
) -> Option<Vec<u8>> {
    let outcome = match request {
        ControlRequest::Kick => kick(server, client_id(payload)?),
        ControlRequest::LameDuck => lame_duck(server, client_id(payload)?),
        ControlRequest::Reload => reload(server).await,
    };
    let info = system.server_info(server);
    Some(match outcome {
        Ok(()) => json::to_vec(&Done { server: info }, None),
        Err(description) => error_answer(info, 500, description),
    })
}

fn client_id(payload: &[u8]) -> Option<u64> {
    match serde_json::from_slice::<ClientRequest>(payload) {
        Ok(request) => Some(request.cid),
        Err(error) => {
            tracing::error!("Error unmarshalling kick client request: {error}");
            None
        }
    }
}

fn kick(server: &ServerState, cid: u64) -> Result<(), String> {
    let client = server
        .client(cid)
        .ok_or_else(|| "no such client or leafnode id".to_owned())?;
    client.close(CloseReason::Kicked);
    Ok(())
}

fn lame_duck(server: &ServerState, cid: u64) -> Result<(), String> {
    let client = server
        .client(cid)
        .ok_or_else(|| "no such client id".to_owned())?;
    // Only a client past CONNECT that takes INFO updates, and still open, can be told.
    let ready = client.is_bound() && client.close_reason().is_none();
    if ready && client.identity().protocol >= 1 {
        server.announce_lame_duck_to(&client);
        Ok(())
    } else {
        Err(
            "client does not support Lame Duck Mode or is not ready to receive the \
             notification"
                .to_owned(),
        )
    }
}

/// Hands the reload to whoever registered for reload requests (the `rnats` binary, which
/// reads the configuration file) and waits for the outcome.
async fn reload(server: &ServerState) -> Result<(), String> {
    let Some(requests) = server.reload_requests.get() else {
        return Err(NO_CONFIG_FILE.to_owned());
    };
    let (done, outcome) = oneshot::channel();
    requests
        .send(done)
        .await
        .map_err(|_| NO_CONFIG_FILE.to_owned())?;
    outcome.await.map_err(|_| NO_CONFIG_FILE.to_owned())?
}

/// A channel of reload requests; the server keeps the sending end.
pub(crate) fn reload_channel() -> (mpsc::Sender<ReloadRequest>, mpsc::Receiver<ReloadRequest>) {
    mpsc::channel(1)
}
