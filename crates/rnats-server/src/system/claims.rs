//! The resolver's requests in operator mode: account JWT updates
//! (`$SYS.REQ.CLAIMS.UPDATE`, `$SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE`) answered with
//! `{"server":{...},"data":{"account","code":200,"message"}}` or `..."error":{"account",
//! "code":500,"description"}}`, and lookups (`$SYS.REQ.ACCOUNT.<key>.CLAIMS.LOOKUP`)
//! answered with the stored JWT as plain text (empty when there is none), and deletions
//! (`$SYS.REQ.CLAIMS.DELETE`) answered like updates, without an account.

use serde::Serialize;

use super::System;
use super::accounts::subject_account;
use super::events::ServerInfoJson;
use super::requests::Request;
use crate::monitor::json;
use crate::operator::{OperatorMode, UpdateReply, unix_now};
use crate::server::ServerState;

/// The subjects the resolver answers, for the internal client to subscribe to.
pub(crate) fn subjects(operator: &OperatorMode) -> Vec<(String, Request)> {
    let mut subjects = Vec::new();
    if operator.answers_generic_updates() {
        subjects.push(("$SYS.REQ.CLAIMS.UPDATE".to_owned(), Request::ClaimsUpdate));
    }
    subjects.push((
        "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE".to_owned(),
        Request::ClaimsUpdate,
    ));
    if operator.answers_deletions() {
        subjects.push(("$SYS.REQ.CLAIMS.DELETE".to_owned(), Request::ClaimsDelete));
    }
    if operator.answers_lookups() {
        subjects.push((
            "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP".to_owned(),
            Request::ClaimsLookup,
        ));
    }
    subjects
}

/// The answer to an update or a lookup; `None` when none is due.
pub(crate) fn answer(
    server: &ServerState,
    system: &System,
    request: Request,
    subject: &[u8],
    payload: &[u8],
) -> Option<Vec<u8>> {
    let operator = server.operator()?;
    let key = subject_account(subject);
    match request {
        Request::ClaimsLookup => operator.lookup_claims(key?).map(String::into_bytes),
        Request::ClaimsUpdate => {
            let clients = server.client_handles();
            let reply = operator.update_claims(key, payload, &clients, unix_now());
            Some(update_answer(system.server_info(server), reply))
        }
        Request::ClaimsDelete => {
            let clients = server.client_handles();
            let system_account = Some(system.account.name.as_str());
            let reply = operator.delete_claims(payload, &clients, system_account);
            Some(update_answer(system.server_info(server), reply))
        }
        _ => None,
    }
}

fn update_answer(server: ServerInfoJson, reply: UpdateReply) -> Vec<u8> {
    match reply.outcome {
        Ok(message) => json::to_vec(
            &Updated {
                server,
                data: UpdatedData {
                    account: reply.account,
                    code: 200,
                    message,
                },
            },
            None,
        ),
        Err(description) => json::to_vec(
            &Failed {
                server,
                error: FailedData {
                    account: reply.account,
                    code: 500,
                    description,
                },
            },
            None,
        ),
    }
}

#[derive(Serialize)]
struct Updated {
    server: ServerInfoJson,
    data: UpdatedData,
}

#[derive(Serialize)]
struct UpdatedData {
    #[serde(skip_serializing_if = "String::is_empty")]
    account: String,
    code: u16,
    message: String,
}

#[derive(Serialize)]
struct Failed {
    server: ServerInfoJson,
    error: FailedData,
}

#[derive(Serialize)]
struct FailedData {
    #[serde(skip_serializing_if = "String::is_empty")]
    account: String,
    code: u16,
    description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_the_subject() {
        assert_eq!(
            subject_account(b"$SYS.REQ.ACCOUNT.AKEY.CLAIMS.UPDATE"),
            Some("AKEY")
        );
        assert_eq!(subject_account(b"$SYS.REQ.CLAIMS.UPDATE"), None);
        assert_eq!(subject_account(b"$SYS.REQ.ACCOUNT.AKEY"), None);
    }
}
