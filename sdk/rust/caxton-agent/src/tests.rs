//! Unit tests of the parts that do not need a host: run with `cargo test` on the build machine
//! (`RUSTC=/usr/bin/rustc /usr/bin/cargo test --offline` with Debian's toolchain).

use crate::json::{Json, Kind, MAX_DEPTH};
use crate::{Envelope, Message};
use std::string::String;
use std::vec::Vec;

fn finished(m: Message) -> String {
    String::from_utf8(m.finish().expect("fits").as_bytes().to_vec()).unwrap()
}

#[test]
fn content_inside_an_earlier_string_is_not_the_content() {
    let doc = br#"{"sender":"x\",\"content\":99","content":{"a":[1, 2.5]} }"#;
    let env = Envelope::parse(doc).unwrap();
    let content = env.content().unwrap();
    assert_eq!(content.kind(), Kind::Object);
    let sum: f64 = content.get("a").unwrap().items().map(|v| v.as_f64().unwrap()).sum();
    assert_eq!(sum, 3.5);
    assert!(env.sender().unwrap() == "x\",\"content\":99");
}

#[test]
fn every_kind_and_accessor() {
    let v = Json::parse(br#" [null, true, false, -0.5e+2, 12, "s", [], {}] "#).unwrap();
    let kinds: Vec<Kind> = v.items().map(|i| i.kind()).collect();
    assert_eq!(kinds, [Kind::Null, Kind::Bool, Kind::Bool, Kind::Number, Kind::Number, Kind::String, Kind::Array, Kind::Object]);
    let items: Vec<Json> = v.items().collect();
    assert_eq!(items[1].as_bool(), Some(true));
    assert_eq!(items[3].as_f64(), Some(-50.0));
    assert_eq!(items[3].as_i64(), None, "an exponent is no integer literal");
    assert_eq!(items[4].as_i64(), Some(12));
    assert_eq!(items[6].items().count(), 0);
    assert_eq!(items[7].members().count(), 0);
    assert!(items[0].is_null());
}

#[test]
fn members_in_order_and_the_first_of_a_repeated_key() {
    let v = Json::parse(br#"{"a":1,"b":{"c":[2]},"a":3}"#).unwrap();
    let keys: Vec<String> = v.members().map(|(k, _)| String::from(k.as_plain().unwrap())).collect();
    assert_eq!(keys, ["a", "b", "a"]);
    assert_eq!(v.get("a").unwrap().as_i64(), Some(1));
    assert_eq!(v.get("b").unwrap().get("c").unwrap().raw(), b"[2]");
    assert!(v.get("missing").is_none());
}

#[test]
fn escapes_are_resolved_for_comparison_and_decoding() {
    let v = Json::parse(br#""h\u00e9llo \ud83d\ude00\n\"q\"\\""#).unwrap();
    let s = v.as_str().unwrap();
    assert!(s.as_plain().is_none());
    assert!(s == "héllo 😀\n\"q\"\\");
    let decoded: String = s.chars().collect();
    assert_eq!(decoded, "héllo 😀\n\"q\"\\");
    let lone = Json::parse(br#""\ud800x""#).unwrap();
    assert_eq!(lone.as_str().unwrap().chars().collect::<String>(), "\u{fffd}x");
}

#[test]
fn malformed_documents_are_refused_with_the_place() {
    let cases: [(&[u8], &str); 10] = [
        (b"", "expected a value"),
        (b"[1,]", "expected a value"),
        (b"01", "more after the end of the value"),
        (b"{\"a\" 1}", "expected ':'"),
        (b"\"open", "unterminated string"),
        (b"\"a\x01\"", "control character in string"),
        (b"\"\\x\"", "invalid escape"),
        (b"\"\xff\"", "invalid UTF-8 in string"),
        (b"tru", "invalid literal"),
        (b"{\"a\":1} x", "more after the end of the value"),
    ];
    for (doc, what) in cases {
        let e = Json::parse(doc).unwrap_err();
        assert_eq!(e.what, what, "for {:?}", String::from_utf8_lossy(doc));
    }
    assert_eq!(Json::parse(b"[1,]").unwrap_err().at, 3);
    assert!(Envelope::parse(b"[1]").is_err(), "an envelope is an object");
}

#[test]
fn nesting_is_limited() {
    let deep = |n: usize| {
        let mut s = Vec::new();
        s.resize(n, b'[');
        s.resize(2 * n, b']');
        s
    };
    assert!(Json::parse(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(Json::parse(&deep(MAX_DEPTH + 1)).unwrap_err().what, "nested too deeply");
}

#[test]
fn envelope_fields_and_timers() {
    let env = Envelope::parse(
        br#"{"performative":"inform","sender":"caxton:timer","receiver":"me","protocol":"caxton-timer","content":{"timer":7,"tag":"r-1"},"reply_by":5}"#,
    )
    .unwrap();
    assert!(env.is("inform") && !env.is("request"));
    assert!(!env.is_complaint());
    let (id, tag) = env.timer().unwrap();
    assert_eq!(id, 7);
    assert!(tag == "r-1");
    assert_eq!(env.reply_by(), Some(5));
    let plain = Envelope::parse(br#"{"performative":"failure","sender":"caxton:timer"}"#).unwrap();
    assert!(plain.timer().is_none(), "a timer message has the caxton-timer protocol too");
    assert!(plain.is_complaint());
}

#[test]
fn messages_are_valid_json_with_what_was_set() {
    let incoming = Envelope::parse(br#"{"performative":"request","sender":"client-\"1\"","reply_with":"r"}"#).unwrap();
    let text = finished(
        Message::inform()
            .to(incoming.sender().unwrap())
            .in_reply_to(incoming.reply_with().unwrap())
            .content_object(|o| {
                o.number("total", 6.0).integer("n", -3).text("s", "tab\there\u{1}").boolean("ok", true).object("in", |i| {
                    i.number("nan", f64::NAN);
                });
            })
            .content_text("ignored: content is set once"),
    );
    assert_eq!(
        text,
        r#"{"performative":"inform","receiver":"client-\"1\"","in_reply_to":"r","content":{"total":6,"n":-3,"s":"tab\there\u0001","ok":true,"in":{"nan":null}}}"#
    );
    let back = Envelope::parse(text.as_bytes()).unwrap();
    assert!(back.receiver().unwrap() == "client-\"1\"");
    assert_eq!(back.content().unwrap().get("total").unwrap().as_f64(), Some(6.0));
}

#[test]
fn every_performative_has_a_constructor() {
    let all = [
        (Message::accept_proposal(), "accept-proposal"),
        (Message::agree(), "agree"),
        (Message::cancel(), "cancel"),
        (Message::cfp(), "cfp"),
        (Message::confirm(), "confirm"),
        (Message::disconfirm(), "disconfirm"),
        (Message::failure(), "failure"),
        (Message::inform(), "inform"),
        (Message::inform_if(), "inform-if"),
        (Message::inform_ref(), "inform-ref"),
        (Message::not_understood(), "not-understood"),
        (Message::propagate(), "propagate"),
        (Message::propose(), "propose"),
        (Message::proxy(), "proxy"),
        (Message::query_if(), "query-if"),
        (Message::query_ref(), "query-ref"),
        (Message::refuse(), "refuse"),
        (Message::reject_proposal(), "reject-proposal"),
        (Message::request(), "request"),
        (Message::request_when(), "request-when"),
        (Message::request_whenever(), "request-whenever"),
        (Message::subscribe(), "subscribe"),
    ];
    for (m, name) in all {
        let text = finished(m.reason("r"));
        assert!(Envelope::parse(text.as_bytes()).unwrap().is(name), "{}", text);
    }
}
