//! # caxton-agent: Caxton agents in Rust
//!
//! A `no_std` crate for writing Caxton agents (WebAssembly modules speaking the guest ABI,
//! version 2) without writing the ABI by hand:
//!
//! - [`agent!`] generates the exports (`caxton_abi_version`, `alloc`, `dealloc`, `handle_message`,
//!   optionally `init` and `shutdown`) and the pointer packing of the reply;
//! - [`Envelope`] reads the incoming message in place with a real JSON parser ([`json`]);
//! - [`Message`] builds replies and outgoing messages, one constructor per FIPA performative;
//! - [`send`](Message::send), [`register_capability`], [`set_timer`], [`cancel_timer`], [`log()`],
//!   [`now_millis`] wrap the host functions;
//! - [`AgentCell`] keeps state between messages.
//!
//! ```ignore
//! #![no_std]
//! use caxton_agent::{agent, Envelope, Message};
//!
//! fn handle(msg: &Envelope) -> Option<Message> {
//!     if !msg.is("request") { return None; }
//!     Some(Message::inform().content_text("hello"))
//! }
//! agent!(handle = handle);
//! ```
//!
//! Without the `alloc` feature buffers come from an arena that starts over with each message; with
//! it, a global allocator lets the agent use `Vec`, `String` and `Box`.
// Unit tests run on the build machine, with std; agents never have it.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(all(feature = "alloc", caxton_oom_handler), feature(alloc_error_handler))]

#[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
extern crate alloc;

pub mod buf;
mod cell;
pub mod envelope;
pub mod host;
pub mod json;
#[cfg(target_arch = "wasm32")]
mod mem;
pub mod message;
#[doc(hidden)]
pub mod rt;

pub use buf::Buf;
pub use cell::AgentCell;
pub use envelope::Envelope;
pub use host::{cancel_timer, log, now_millis, register_capability, send_raw, set_timer, Level, SendError};
pub use json::{Json, JsonStr, Kind};
pub use message::{JsonText, Message, Obj, Outcome};

#[cfg(all(feature = "alloc", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mem::heap::FreeLists = mem::heap::FreeLists::new();

#[cfg(all(feature = "alloc", caxton_oom_handler, target_arch = "wasm32"))]
#[alloc_error_handler]
fn out_of_memory(_: core::alloc::Layout) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(feature = "panic-handler", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // A trap fails this one message; the node dead-letters it and starts a fresh instance.
    trap()
}

/// Ends the call with a trap: the node fails this one message and starts a fresh instance.
pub(crate) fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    panic!("trap");
}

#[cfg(test)]
mod tests;

/// Logs a formatted line: `caxton_agent::log!(Level::Info, "total is {}", total)` (at most 4 KiB).
#[macro_export]
macro_rules! log {
    ($level:expr, $($arg:tt)*) => {{
        let mut line = $crate::Buf::with_capacity(4096);
        let _ = core::fmt::Write::write_fmt(&mut line, format_args!($($arg)*));
        $crate::log($level, core::str::from_utf8(line.as_bytes()).unwrap_or("(log line not UTF-8)"));
    }};
}

/// Generates the agent's exports around your functions:
///
/// ```ignore
/// agent!(handle = on_message);                                  // fn on_message(&Envelope) -> impl Into<Outcome>
/// agent!(handle = on_message, init = setup);                    // fn setup() -> () | i32 | Result<(), i32>
/// agent!(handle = on_message, init = setup, shutdown = bye);    // fn bye() (run before the instance is dropped)
/// ```
///
/// The exports declare ABI version 2 (`caxton_abi_version`): the reply is the agent's, the host
/// copies it out and never frees it, and frees only the message buffer it asked `alloc` for.
#[macro_export]
macro_rules! agent {
    (handle = $handle:path $(, init = $init:path)? $(, shutdown = $shutdown:path)? $(,)?) => {
        const _: () = {
            #[export_name = "caxton_abi_version"]
            pub extern "C" fn __caxton_caxton_abi_version() -> i32 {
                $crate::rt::abi_version()
            }

            #[export_name = "alloc"]
            pub extern "C" fn __caxton_alloc(size: i32) -> i32 {
                $crate::rt::alloc(size)
            }

            #[export_name = "dealloc"]
            pub extern "C" fn __caxton_dealloc(ptr: i32, size: i32) {
                $crate::rt::dealloc(ptr, size)
            }

            #[export_name = "handle_message"]
            pub extern "C" fn __caxton_handle_message(ptr: i32, len: i32) -> i64 {
                $crate::rt::handle(ptr, len, |env| $crate::Outcome::from($handle(env)))
            }

            $(
                #[export_name = "init"]
                pub extern "C" fn __caxton_init() -> i32 {
                    $crate::rt::init(|| $init())
                }
            )?

            $(
                #[export_name = "shutdown"]
                pub extern "C" fn __caxton_shutdown() -> i32 {
                    $shutdown();
                    0
                }
            )?
        };
    };
}
