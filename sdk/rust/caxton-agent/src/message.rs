//! Building envelopes: replies (returned from the handler) and messages sent with `send`.

use crate::buf::Buf;
use crate::host::{self, SendError};
use crate::json::{Json, JsonStr};

/// Text that can be written as a JSON string: a `&str`, or a [`JsonStr`] read from a message
/// (copied as it was, escapes and all).
pub trait JsonText {
    fn write_json(&self, out: &mut Buf);
}

impl JsonText for &str {
    fn write_json(&self, out: &mut Buf) {
        out.json_str(self);
    }
}

impl<'a> JsonText for JsonStr<'a> {
    fn write_json(&self, out: &mut Buf) {
        out.push_byte(b'"');
        out.push_bytes(self.escaped());
        out.push_byte(b'"');
    }
}

/// Writes the members of a JSON object: `o.number("total", 6.0).text("unit", "apples")`.
pub struct Obj<'b> {
    out: &'b mut Buf,
    first: bool,
}

impl<'b> Obj<'b> {
    fn key(&mut self, key: &str) -> &mut Buf {
        if !self.first {
            self.out.push_byte(b',');
        }
        self.first = false;
        self.out.json_str(key);
        self.out.push_byte(b':');
        self.out
    }

    pub fn text<T: JsonText>(&mut self, key: &str, value: T) -> &mut Self {
        value.write_json(self.key(key));
        self
    }

    pub fn number(&mut self, key: &str, value: f64) -> &mut Self {
        self.key(key).json_f64(value);
        self
    }

    pub fn integer(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key).json_i64(value);
        self
    }

    pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key).json_bool(value);
        self
    }

    /// A value read from a message, copied as it was.
    pub fn value(&mut self, key: &str, value: Json) -> &mut Self {
        self.key(key).json_value(value);
        self
    }

    /// JSON the caller vouches for (it is not checked).
    pub fn raw(&mut self, key: &str, json: &[u8]) -> &mut Self {
        self.key(key).push_bytes(json);
        self
    }

    /// A nested object.
    pub fn object(&mut self, key: &str, fill: impl FnOnce(&mut Obj)) -> &mut Self {
        let out = self.key(key);
        write_object(out, fill);
        self
    }
}

pub(crate) fn write_object(out: &mut Buf, fill: impl FnOnce(&mut Obj)) {
    out.push_byte(b'{');
    let mut o = Obj { out, first: true };
    fill(&mut o);
    o.out.push_byte(b'}');
}

/// An envelope under construction. Start it with the performative's constructor
/// (`Message::inform()`, `Message::failure()`, ... one for each of the 22 FIPA performatives),
/// add fields, then either return it from the handler as the reply or [`send`](Message::send) it.
///
/// A reply needs only the fields you care about: the host fills in `sender`, and when absent
/// `receiver` (the original sender), `conversation_id`, `in_reply_to` and `message_id`.
pub struct Message {
    buf: Buf,
    has_content: bool,
}

macro_rules! performatives {
    ($($(#[$doc:meta])* $fn:ident = $name:literal),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $fn() -> Message {
                Message::new($name)
            }
        )*
    };
}

impl Message {
    /// A message with any performative (use the named constructors for the standard ones).
    pub fn new(performative: &str) -> Message {
        Message::with_capacity(performative, crate::buf::DEFAULT_CAPACITY)
    }

    /// As [`new`](Message::new), with room for `capacity` bytes (without the `alloc` feature, a
    /// message that does not fit is refused instead of being cut).
    pub fn with_capacity(performative: &str, capacity: usize) -> Message {
        let mut buf = Buf::with_capacity(capacity);
        buf.push_str("{\"performative\":");
        buf.json_str(performative);
        Message { buf, has_content: false }
    }

    performatives! {
        accept_proposal = "accept-proposal",
        agree = "agree",
        cancel = "cancel",
        cfp = "cfp",
        confirm = "confirm",
        disconfirm = "disconfirm",
        failure = "failure",
        inform = "inform",
        inform_if = "inform-if",
        inform_ref = "inform-ref",
        not_understood = "not-understood",
        propagate = "propagate",
        propose = "propose",
        proxy = "proxy",
        query_if = "query-if",
        query_ref = "query-ref",
        refuse = "refuse",
        reject_proposal = "reject-proposal",
        request = "request",
        request_when = "request-when",
        request_whenever = "request-whenever",
        subscribe = "subscribe",
    }

    fn field<T: JsonText>(mut self, key: &str, value: T) -> Message {
        self.buf.push_byte(b',');
        self.buf.json_str(key);
        self.buf.push_byte(b':');
        value.write_json(&mut self.buf);
        self
    }

    /// The receiving agent (or API client) by name.
    pub fn to<T: JsonText>(self, receiver: T) -> Message {
        self.field("receiver", receiver)
    }

    /// Addresses whichever agent holds `capability` instead of a named receiver.
    pub fn capability<T: JsonText>(self, capability: T) -> Message {
        self.field("capability", capability)
    }

    /// With [`capability`](Message::capability): every holder gets a copy.
    pub fn broadcast(mut self) -> Message {
        self.buf.push_str(",\"broadcast\":true");
        self
    }

    pub fn conversation_id<T: JsonText>(self, id: T) -> Message {
        self.field("conversation_id", id)
    }

    pub fn reply_with<T: JsonText>(self, tag: T) -> Message {
        self.field("reply_with", tag)
    }

    pub fn in_reply_to<T: JsonText>(self, tag: T) -> Message {
        self.field("in_reply_to", tag)
    }

    pub fn protocol<T: JsonText>(self, protocol: T) -> Message {
        self.field("protocol", protocol)
    }

    pub fn language<T: JsonText>(self, language: T) -> Message {
        self.field("language", language)
    }

    pub fn ontology<T: JsonText>(self, ontology: T) -> Message {
        self.field("ontology", ontology)
    }

    /// `critical`, `high`, `normal` or `low`.
    pub fn priority<T: JsonText>(self, priority: T) -> Message {
        self.field("priority", priority)
    }

    /// A deadline for replies, milliseconds since the epoch.
    pub fn reply_by(mut self, millis: i64) -> Message {
        self.buf.push_str(",\"reply_by\":");
        self.buf.json_i64(millis);
        self
    }

    fn content_key(&mut self) -> &mut Buf {
        // A second content would make a JSON object with a repeated key; keep the first.
        self.buf.push_str(",\"content\":");
        self.has_content = true;
        &mut self.buf
    }

    /// Content: a JSON string.
    pub fn content_text<T: JsonText>(mut self, text: T) -> Message {
        if !self.has_content {
            text.write_json(self.content_key());
        }
        self
    }

    /// Content: a number (NaN and infinities become `null`).
    pub fn content_number(mut self, x: f64) -> Message {
        if !self.has_content {
            self.content_key().json_f64(x);
        }
        self
    }

    /// Content: a value read from a message, as it was.
    pub fn content_value(mut self, value: Json) -> Message {
        if !self.has_content {
            self.content_key().json_value(value);
        }
        self
    }

    /// Content: JSON bytes the caller vouches for (not checked).
    pub fn content_raw(mut self, json: &[u8]) -> Message {
        if !self.has_content {
            self.content_key().push_bytes(json);
        }
        self
    }

    /// Content: an object whose members `fill` writes.
    pub fn content_object(mut self, fill: impl FnOnce(&mut Obj)) -> Message {
        if !self.has_content {
            write_object(self.content_key(), fill);
        }
        self
    }

    /// Content `{"reason":"..."}`, the shape the node itself uses for `failure` replies.
    pub fn reason(self, reason: &str) -> Message {
        self.content_object(|o| {
            o.text("reason", reason);
        })
    }

    /// The finished envelope, or `None` when it did not fit its buffer.
    pub(crate) fn finish(mut self) -> Option<Buf> {
        self.buf.push_byte(b'}');
        if self.buf.overflowed() {
            None
        } else {
            Some(self.buf)
        }
    }

    /// Sends the message now (the host copies it; delivery happens after the handler returns).
    /// `Ok(n)` means accepted.
    pub fn send(self) -> Result<u32, SendError> {
        match self.finish() {
            Some(buf) => host::send_raw(buf.as_bytes()),
            None => Err(SendError::Overflow),
        }
    }
}

/// What a handler returns. A `Message` or an `Option<Message>` converts into it, so most handlers
/// return one of those.
pub enum Outcome {
    /// No reply.
    NoReply,
    /// This reply (the host completes and delivers it).
    Reply(Message),
    /// An agent-level error code (negative): the sender gets a `failure` naming it, if it asked for
    /// replies. The instance keeps running.
    Error(i32),
}

impl From<Message> for Outcome {
    fn from(m: Message) -> Outcome {
        Outcome::Reply(m)
    }
}

impl From<Option<Message>> for Outcome {
    fn from(m: Option<Message>) -> Outcome {
        match m {
            Some(m) => Outcome::Reply(m),
            None => Outcome::NoReply,
        }
    }
}

impl From<()> for Outcome {
    fn from(_: ()) -> Outcome {
        Outcome::NoReply
    }
}
