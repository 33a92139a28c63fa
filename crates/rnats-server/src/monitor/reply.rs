//! HTTP answers with the reference's status codes and headers.
//!
//! JSON answers carry `Content-Type: application/json` and `Access-Control-Allow-Origin: *`;
//! errors are plain text without the CORS header, as the reference answers them.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::json;
use super::query::BadRequest;

/// The content type of plain-text answers.
const TEXT: &str = "text/plain; charset=utf-8";

/// One answer of the monitor.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    content_type: &'static str,
    cors: bool,
    nosniff: bool,
    pub(crate) body: Bytes,
}

impl Reply {
    /// 200 with `value` as `json.MarshalIndent(value, "", "  ")`.
    pub(crate) fn json<T: Serialize>(value: &T) -> Reply {
        Reply::json_bytes(StatusCode::OK, json::to_vec(value, Some("  ")))
    }

    /// A JSON answer with a given status and already encoded body.
    pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Reply {
        Reply::with_cors(status, "application/json", body)
    }

    /// An answer with the monitoring headers and an explicit content type.
    pub(crate) fn with_cors(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Reply {
        Reply {
            status,
            content_type,
            cors: true,
            nosniff: false,
            body: body.into(),
        }
    }

    /// An answer of any content type without the CORS header.
    pub(crate) fn without_cors(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Reply {
        Reply {
            cors: false,
            ..Reply::with_cors(status, content_type, body)
        }
    }

    /// A plain-text answer without the monitoring headers, as errors are written.
    pub(crate) fn text(status: StatusCode, body: impl Into<Bytes>) -> Reply {
        Reply::without_cors(status, TEXT, body)
    }

    /// 400 with the reference's error text.
    pub(crate) fn bad_request(error: BadRequest) -> Reply {
        Reply::text(StatusCode::BAD_REQUEST, error.0)
    }

    /// The reference's answer to an unknown path.
    pub(crate) fn not_found() -> Reply {
        Reply {
            nosniff: true,
            ..Reply::text(StatusCode::NOT_FOUND, "404 page not found\n")
        }
    }

    /// An HTML page, as the index is served.
    pub(crate) fn html(body: String) -> Reply {
        Reply::without_cors(StatusCode::OK, "text/html; charset=utf-8", body)
    }

    /// The hyper response.
    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if self.cors {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if self.nosniff {
            headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        }
        response
    }
}

impl From<BadRequest> for Reply {
    fn from(error: BadRequest) -> Reply {
        Reply::bad_request(error)
    }
}
