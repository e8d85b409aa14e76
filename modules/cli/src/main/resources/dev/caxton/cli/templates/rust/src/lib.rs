//! {{name}}: a Caxton agent. It answers every request with how many messages it has handled and
//! the content it was sent. Change `handle` to make it yours.
#![no_std]

use caxton_agent::{agent, log, AgentCell, Envelope, Level, Message};

/// State kept between messages (for as long as the instance lives).
static HANDLED: AgentCell<i64> = AgentCell::new(0);

fn init() {
    log(Level::Info, "{{name}} ready");
}

fn handle(msg: &Envelope) -> Option<Message> {
    HANDLED.set(HANDLED.get() + 1);
    // Answer requests only, so that two agents never answer each other's answers for ever.
    if !msg.is("request") {
        return None;
    }
    Some(Message::inform().content_object(|o| {
        o.text("agent", "{{name}}").integer("handled", HANDLED.get());
        if let Some(content) = msg.content() {
            o.value("received", content);
        }
    }))
}

agent!(handle = handle, init = init);
