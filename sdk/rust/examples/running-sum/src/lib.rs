//! Running sum: adds up the numbers it is sent (a number, or an array of numbers, as content) and
//! answers every request with the total so far: `{"total":6,"count":3}`.
#![no_std]

use caxton_agent::{agent, AgentCell, Envelope, Kind, Message};

/// The state kept between messages (it lasts as long as the instance: a fault, reload or restart
/// starts again from zero).
static TOTAL: AgentCell<f64> = AgentCell::new(0.0);
static COUNT: AgentCell<i64> = AgentCell::new(0);

fn handle(msg: &Envelope) -> Option<Message> {
    // Only requests get an answer, so this agent never argues with another agent's replies.
    if !msg.is("request") {
        return None;
    }
    let content = match msg.content() {
        Some(c) => c,
        None => return Some(Message::not_understood().reason("send a number or an array of numbers as content")),
    };
    let mut added = 0.0;
    let mut seen = 0;
    match content.kind() {
        Kind::Number => {
            added = content.as_f64().unwrap_or(f64::NAN);
            seen = 1;
        }
        Kind::Array => {
            for item in content.items() {
                match item.as_f64() {
                    Some(x) => {
                        added += x;
                        seen += 1;
                    }
                    None => return Some(Message::not_understood().reason("every element of the array must be a number")),
                }
            }
        }
        _ => return Some(Message::not_understood().reason("send a number or an array of numbers as content")),
    }
    if !(TOTAL.get() + added).is_finite() {
        return Some(Message::failure().reason("the total would overflow"));
    }
    TOTAL.set(TOTAL.get() + added);
    COUNT.set(COUNT.get() + seen);
    Some(Message::inform().content_object(|o| {
        o.number("total", TOTAL.get()).integer("count", COUNT.get());
    }))
}

agent!(handle = handle);
