//! Bad parameters and malformed requests: the reference's status codes and texts, no panics.

use super::support::{get, get_raw, start};

/// Bad parameters answer what the reference answers (checked against nats-server 2.15).
#[tokio::test]
async fn bad_parameters_answer_like_the_reference() {
    let (server, http) = start().await;
    let cases: &[(&str, u16, &str)] = &[
        ("/connz?sort=bogus", 400, "invalid sorting option: bogus"),
        (
            "/connz?sort=stop",
            400,
            "sort by stop only valid on closed connections",
        ),
        (
            "/connz?state=any&sort=reason",
            400,
            "sort by reason only valid on closed connections",
        ),
        (
            "/connz?subs=x",
            400,
            "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/connz?auth=yes",
            400,
            "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"yes\": invalid syntax",
        ),
        (
            "/connz?limit=abc",
            400,
            "Error decoding int for 'limit': strconv.Atoi: parsing \"abc\": invalid syntax",
        ),
        (
            "/connz?offset=99999999999999999999",
            400,
            "Error decoding int for 'offset': strconv.Atoi: parsing \"99999999999999999999\": value out of range",
        ),
        (
            "/connz?cid=-1",
            400,
            "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"-1\": invalid syntax",
        ),
        ("/connz?state=bogus", 400, "Error decoding state for bogus"),
        (
            "/subsz?subs=detail",
            400,
            "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"detail\": invalid syntax",
        ),
        (
            "/subsz?test=foo.*",
            400,
            "invalid test subject, must be valid publish subject: foo.*",
        ),
        ("/accountz?acc=nope", 400, "Account nope does not exist"),
        (
            "/accstatz?unused=x",
            400,
            "Error decoding boolean for 'unused': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/healthz?js-enabled-only=x",
            400,
            "Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/healthz?stream=x",
            400,
            r#"{"status":"error","error":"\"account\" must not be empty when checking stream health"}"#,
        ),
        (
            "/healthz?stream=x&details=1",
            400,
            r#"{"status":"error","errors":[{"type":"BAD_REQUEST","error":"\"account\" must not be empty when checking stream health"}]}"#,
        ),
        (
            "/healthz?consumer=x",
            400,
            r#"{"status":"error","error":"\"stream\" must not be empty when checking consumer health"}"#,
        ),
        (
            "/jsz?leader-only=true",
            400,
            "filtered response: not leader",
        ),
        (
            "/jsz?limit=x",
            400,
            "Error decoding int for 'limit': strconv.Atoi: parsing \"x\": invalid syntax",
        ),
        (
            "/gatewayz?accs=x",
            400,
            "Error decoding boolean for 'accs': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/leafz?subs=x",
            400,
            "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/routez?subs=x",
            400,
            "Error decoding boolean for 'subs': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
        (
            "/ipqueuesz?all=x",
            400,
            "Error decoding boolean for 'all': strconv.ParseBool: parsing \"x\": invalid syntax",
        ),
    ];
    for (path, status, body) in cases {
        let answer = get(http, path).await;
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (*status, *body),
            "{path}"
        );
    }
    // Malformed query strings are read leniently, as the reference does, and never hurt.
    for path in [
        "/connz?%zz=1&limit=%",
        "/connz?sort=cid;limit=x",
        "/varz?&&==&",
        "/connz?limit=%2B7",
    ] {
        assert_eq!(get(http, path).await.status, 200, "{path}");
    }
    let raw = get_raw(http, b"/connz?sort=\xff\xfe").await;
    assert!(
        raw.status == 400,
        "non-UTF-8 is refused, not a crash: {}",
        raw.status
    );
    assert_eq!(get(http, "/healthz").await.status, 200, "still serving");
    server.shutdown().await;
}
