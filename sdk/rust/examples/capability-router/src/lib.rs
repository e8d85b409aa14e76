//! Capability routing: offers the capability `text.upper` and answers requests addressed to it
//! (`caxton message send --capability text.upper ...`) with their text content in upper case.
//! Built with the SDK's `alloc` feature, so it can use `String`.
#![no_std]

extern crate alloc;

use alloc::string::String;
use caxton_agent::{agent, log, register_capability, Envelope, Level, Message};

const CAPABILITY: &str = "text.upper";

fn init() -> Result<(), i32> {
    // Without the capability this agent is useless: fail the deployment and say why.
    if let Err(code) = register_capability(CAPABILITY) {
        log!(Level::Error, "could not register capability '{}': {}", CAPABILITY, code);
        return Err(code);
    }
    log!(Level::Info, "capability-router ready, capability '{}' registered", CAPABILITY);
    Ok(())
}

fn handle(msg: &Envelope) -> Option<Message> {
    if !msg.is("request") {
        return None;
    }
    let text = match msg.content().and_then(|c| c.as_str()) {
        Some(t) => t,
        None => return Some(Message::refuse().reason("send a JSON string as content")),
    };
    let mut upper = String::new();
    for c in text.chars() {
        upper.extend(c.to_uppercase());
    }
    Some(Message::inform().content_object(|o| {
        o.text("upper", upper.as_str()).text("via", CAPABILITY);
    }))
}

agent!(handle = handle, init = init);
