//! The message an agent is handed, read in place.

use crate::json::{Json, JsonStr, ParseError};

/// One incoming message (a FIPA-ACL envelope as JSON). The accessors return `None` for a field the
/// message does not carry; string fields come as [`JsonStr`] (compare with `==`, or
/// `as_plain()` for a `&str`).
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    root: Json<'a>,
}

macro_rules! string_fields {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Option<JsonStr<'a>> {
                self.root.get(stringify!($name)).and_then(|v| v.as_str())
            }
        )*
    };
}

impl<'a> Envelope<'a> {
    /// Reads `bytes` as an envelope: a JSON object, else an error saying where it broke.
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, ParseError> {
        let root = Json::parse(bytes)?;
        if root.kind() != crate::json::Kind::Object {
            return Err(ParseError { at: 0, what: "the envelope is not a JSON object" });
        }
        Ok(Envelope { root })
    }

    string_fields! {
        /// `request`, `inform`, `query-ref`, ... (lower case, hyphens).
        performative,
        /// An agent name, or a client name such as `client-7f3a` for messages from the API.
        sender,
        /// This agent's own name.
        receiver,
        capability,
        conversation_id,
        reply_with,
        in_reply_to,
        protocol,
        language,
        ontology,
        priority,
        message_id,
    }

    /// The payload, any JSON value.
    pub fn content(&self) -> Option<Json<'a>> {
        self.root.get("content")
    }

    /// The deadline the sender gave, milliseconds since the epoch.
    pub fn reply_by(&self) -> Option<i64> {
        self.root.get("reply_by").and_then(|v| v.as_i64())
    }

    /// Any member of the envelope, including ones this SDK does not know.
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.root.get(key)
    }

    /// The whole envelope.
    pub fn json(&self) -> Json<'a> {
        self.root
    }

    /// True when the performative is `performative`.
    pub fn is(&self, performative: &str) -> bool {
        self.performative().map_or(false, |p| p == performative)
    }

    /// True for `failure`, `not-understood` and `refuse`: answering those with complaints of one's
    /// own is how two agents end up in an endless exchange.
    pub fn is_complaint(&self) -> bool {
        self.is("failure") || self.is("not-understood") || self.is("refuse")
    }

    /// `Some((id, tag))` when this is a message from a timer the agent set (`set_timer`).
    pub fn timer(&self) -> Option<(i64, JsonStr<'a>)> {
        if !(self.sender().map_or(false, |s| s == "caxton:timer") && self.protocol().map_or(false, |p| p == "caxton-timer")) {
            return None;
        }
        let content = self.content()?;
        Some((content.get("timer")?.as_i64()?, content.get("tag")?.as_str()?))
    }
}
