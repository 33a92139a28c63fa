//! The NATS client protocol without I/O: a parser for what clients send, encoders for what
//! servers send, and the CONNECT and INFO documents.
//!
//! Nothing here touches a socket or a runtime. The server feeds bytes in and writes bytes out;
//! the same code is fuzzed and property-tested in isolation.

pub mod connect;
pub mod encode;
pub mod error;
pub mod info;
pub mod parser;

pub use connect::{ConnectError, ConnectOptions};
pub use encode::Delivery;
pub use error::{OpKind, ParseError, ServerError};
pub use info::ServerInfo;
pub use parser::{ClientOp, ClientParser, Parsed, Publish};
