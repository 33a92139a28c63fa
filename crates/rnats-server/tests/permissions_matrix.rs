//! Every cell of users x subjects x (publish, subscribe, queue subscribe): allowed cells
//! work, denied cells answer with the violation and deliver nothing. Non-delivery is proven
//! with PING/PONG barriers, not sleeps: a publisher's PONG follows every delivery its
//! messages caused, and a subscriber's PONG follows every message queued for it before.

use std::collections::BTreeMap;

use rnats_server::{Options, Permissions, Server, SubjectPermission, User};
use rnats_testkit::RawConn;

/// Subjects published in every test.
const SUBJECTS: &[&str] = &["m.a", "m.b", "m.w.x", "m.w.y"];
/// Subscriptions tried by every user: subject and queue group.
const SUBSCRIPTIONS: &[(&str, Option<&str>)] = &[
    ("m.a", None),
    ("m.b", None),
    ("m.w.x", None),
    ("m.w.*", None),
    ("m.>", None),
    ("m.a", Some("grp")),
    ("m.w.y", Some("grp")),
    ("m.w.*", Some("grp")),
];

/// One user and what it may do, written out by hand from its permissions.
struct Expect {
    name: &'static str,
    permissions: Option<Permissions>,
    /// Subjects of `SUBJECTS` it may publish to.
    publish: &'static [&'static str],
    /// Indexes into `SUBSCRIPTIONS` it may make.
    subscribe: &'static [usize],
    /// Subjects its subscriptions never receive (subject, and queue the rule is limited to).
    receive_deny: &'static [(&'static str, Option<&'static str>)],
}

fn both(allow: &[&str], deny: &[&str]) -> Option<SubjectPermission> {
    let list = |subjects: &[&str]| subjects.iter().map(|s| (*s).to_owned()).collect();
    Some(SubjectPermission {
        allow: list(allow),
        deny: list(deny),
    })
}

fn users() -> Vec<Expect> {
    let everything = &[0, 1, 2, 3, 4, 5, 6, 7];
    vec![
        Expect {
            name: "all",
            permissions: None,
            publish: SUBJECTS,
            subscribe: everything,
            receive_deny: &[],
        },
        Expect {
            name: "pubr",
            permissions: Some(Permissions {
                publish: both(&["m.a", "m.w.*"], &["m.w.x"]),
                ..Permissions::default()
            }),
            publish: &["m.a", "m.w.y"],
            subscribe: everything,
            receive_deny: &[],
        },
        Expect {
            name: "subr",
            permissions: Some(Permissions {
                subscribe: both(&["m.a", "m.w.>"], &["m.w.x"]),
                ..Permissions::default()
            }),
            publish: SUBJECTS,
            subscribe: &[0, 3, 5, 6, 7],
            receive_deny: &[("m.w.x", None)],
        },
        Expect {
            name: "queue",
            permissions: Some(Permissions {
                subscribe: both(&["m.a grp", "m.w.*"], &["m.w.y grp"]),
                ..Permissions::default()
            }),
            publish: SUBJECTS,
            subscribe: &[2, 3, 5, 7],
            receive_deny: &[("m.w.y", Some("grp"))],
        },
        Expect {
            name: "nothing",
            permissions: Some(Permissions {
                publish: both(&[], &[">"]),
                subscribe: both(&[], &[">"]),
                ..Permissions::default()
            }),
            publish: &[],
            subscribe: &[],
            receive_deny: &[],
        },
    ]
}

/// Plain NATS matching of a literal subject against a subscription subject.
fn matches(pattern: &str, subject: &str) -> bool {
    let (mut p, mut s) = (pattern.split('.'), subject.split('.'));
    loop {
        match (p.next(), s.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// `MSG` lines by sid, each with its subject; and every `-ERR` line.
fn parse(bytes: &[u8]) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let (mut messages, mut errors) = (BTreeMap::<String, Vec<String>>::new(), Vec::new());
    let mut lines = text.split("\r\n");
    while let Some(line) = lines.next() {
        let parts: Vec<&str> = line.split(' ').collect();
        if parts[0] == "MSG" {
            let sid = parts.get(2).copied().unwrap_or_default();
            let subject = parts.get(1).copied().unwrap_or_default();
            messages
                .entry(sid.to_owned())
                .or_default()
                .push(subject.to_owned());
            lines.next();
        } else if line.starts_with("-ERR") {
            errors.push(line.to_owned());
        }
    }
    (messages, errors)
}

/// Checks what each subscription received: plain ones every matching subject they may
/// receive, each queue group (members of one queue name, as the reference groups them)
/// exactly one copy, and denied subscriptions or filtered subjects nothing at all.
fn check_deliveries(user: &Expect, received: &BTreeMap<String, Vec<String>>) {
    let count = |sid: usize, subject: &str| {
        received
            .get(&sid.to_string())
            .map_or(0, |got| got.iter().filter(|s| *s == subject).count())
    };
    for (sid, _) in SUBSCRIPTIONS.iter().enumerate() {
        if !user.subscribe.contains(&sid) {
            assert!(
                !received.contains_key(&sid.to_string()),
                "{}: denied sid {sid} received {received:?}",
                user.name
            );
        }
    }
    for subject in SUBJECTS {
        let receives = |queue: Option<&str>| {
            !user
                .receive_deny
                .iter()
                .any(|(deny, only)| matches(deny, subject) && only.is_none_or(|q| Some(q) == queue))
        };
        let mut groups: BTreeMap<&str, (usize, Vec<usize>)> = BTreeMap::new();
        for (sid, (pattern, queue)) in SUBSCRIPTIONS.iter().enumerate() {
            if !user.subscribe.contains(&sid) || !matches(pattern, subject) {
                continue;
            }
            let wanted = usize::from(receives(*queue));
            match queue {
                None => assert_eq!(
                    count(sid, subject),
                    wanted,
                    "{}: SUB {pattern} (sid {sid}) copies of {subject}",
                    user.name
                ),
                Some(q) if wanted == 1 => groups.entry(q).or_default().1.push(sid),
                Some(q) => {
                    groups.entry(q).or_default();
                    assert_eq!(count(sid, subject), 0, "{}: sid {sid} filtered", user.name);
                }
            }
        }
        for (queue, (_, members)) in groups {
            let copies: usize = members.iter().map(|&sid| count(sid, subject)).sum();
            assert_eq!(
                copies,
                usize::from(!members.is_empty()),
                "{}: queue {queue} copies of {subject}",
                user.name
            );
        }
    }
}

async fn login(server: &Server, user: &str) -> RawConn {
    let mut conn = RawConn::connect(server.client_addr()).await;
    conn.read_info().await;
    let connect = format!("CONNECT {{\"verbose\":false,\"user\":\"{user}\",\"pass\":\"pw\"}}\r\n");
    conn.send(connect.as_bytes()).await;
    let (_, errors) = parse(&conn.sync().await);
    assert!(errors.is_empty(), "{user} logs in: {errors:?}");
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_allowed_cell_works_and_no_denied_cell_delivers() {
    let users = users();
    let server = Server::start(Options {
        users: users
            .iter()
            .map(|u| User {
                permissions: u.permissions.clone(),
                ..User::password(u.name, "pw")
            })
            .collect(),
        ..Options::local()
    })
    .await
    .expect("server starts");
    let mut observer = login(&server, "all").await;
    observer.send(b"SUB m.> obs\r\n").await;
    observer.sync().await;
    let mut publisher = login(&server, "all").await;
    for user in &users {
        // Publish cells: the observer sees exactly the allowed subjects.
        let mut conn = login(&server, user.name).await;
        for subject in SUBJECTS {
            conn.send(format!("PUB {subject} 1\r\nx\r\n").as_bytes())
                .await;
        }
        let (_, errors) = parse(&conn.sync().await);
        let (seen, _) = parse(&observer.sync().await);
        let seen = seen.get("obs").cloned().unwrap_or_default();
        let denied: Vec<String> = SUBJECTS
            .iter()
            .filter(|s| !user.publish.contains(s))
            .map(|s| format!("-ERR 'Permissions Violation for Publish to \"{s}\"'"))
            .collect();
        assert_eq!(errors, denied, "{}: publish violations", user.name);
        assert_eq!(seen, user.publish, "{}: published messages seen", user.name);

        // Subscribe cells, plain and queue: allowed ones receive exactly their subjects.
        for (sid, (subject, queue)) in SUBSCRIPTIONS.iter().enumerate() {
            let queue = queue.map(|q| format!(" {q}")).unwrap_or_default();
            conn.send(format!("SUB {subject}{queue} {sid}\r\n").as_bytes())
                .await;
        }
        let (_, errors) = parse(&conn.sync().await);
        let expected_errors: Vec<String> = SUBSCRIPTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| !user.subscribe.contains(i))
            .map(|(_, (subject, queue))| match queue {
                Some(q) => format!(
                    "-ERR 'Permissions Violation for Subscription to \"{subject}\" using queue \"{q}\"'"
                ),
                None => format!("-ERR 'Permissions Violation for Subscription to \"{subject}\"'"),
            })
            .collect();
        assert_eq!(
            errors, expected_errors,
            "{}: subscribe violations",
            user.name
        );
        for subject in SUBJECTS {
            publisher
                .send(format!("PUB {subject} 1\r\ny\r\n").as_bytes())
                .await;
        }
        publisher.sync().await;
        observer.sync().await;
        let (received, errors) = parse(&conn.sync().await);
        assert!(errors.is_empty(), "{}: {errors:?}", user.name);
        check_deliveries(user, &received);
    }
    server.shutdown().await;
}
