//! The host functions (imports from module `caxton`) behind safe wrappers. An agent imports only
//! the functions it calls: the linker drops the others, so a module that never logs has no `log`
//! import and needs no `log` permission.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "caxton")]
extern "C" {
    #[link_name = "send_message"]
    fn caxton_send_message(ptr: *const u8, len: i32) -> i32;
    #[link_name = "log"]
    fn caxton_log(level: i32, ptr: *const u8, len: i32);
    #[link_name = "now_millis"]
    fn caxton_now_millis() -> i64;
    #[link_name = "register_capability"]
    fn caxton_register_capability(ptr: *const u8, len: i32) -> i32;
    #[link_name = "set_timer"]
    fn caxton_set_timer(delay_ms: i64, tag_ptr: *const u8, tag_len: i32) -> i64;
    #[link_name = "cancel_timer"]
    fn caxton_cancel_timer(id: i64) -> i32;
}

/// Off WebAssembly (the crate's own unit tests) there is no host: calling one is a bug in the test.
#[cfg(not(target_arch = "wasm32"))]
mod no_host {
    pub unsafe fn caxton_send_message(_: *const u8, _: i32) -> i32 {
        unimplemented!("send_message outside WebAssembly")
    }
    pub unsafe fn caxton_log(_: i32, _: *const u8, _: i32) {
        unimplemented!("log outside WebAssembly")
    }
    pub unsafe fn caxton_now_millis() -> i64 {
        unimplemented!("now_millis outside WebAssembly")
    }
    pub unsafe fn caxton_register_capability(_: *const u8, _: i32) -> i32 {
        unimplemented!("register_capability outside WebAssembly")
    }
    pub unsafe fn caxton_set_timer(_: i64, _: *const u8, _: i32) -> i64 {
        unimplemented!("set_timer outside WebAssembly")
    }
    pub unsafe fn caxton_cancel_timer(_: i64) -> i32 {
        unimplemented!("cancel_timer outside WebAssembly")
    }
}
#[cfg(not(target_arch = "wasm32"))]
use no_host::*;

/// Log levels, as the host numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// Why `send_message` refused a message (its negative return codes, see agent-guide.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// -1: not a JSON object, no valid performative, ...
    Malformed,
    /// -2: nobody by that receiver name, or nobody holds that capability.
    NoReceiver,
    /// -3: the receiver's mailbox is full; try later or drop it.
    QueueFull,
    /// -4: a foreign `sender`, or the hop limit (`messaging.max_hops`) is reached.
    NotPermitted,
    /// -5: larger than `messaging.max_message_size`.
    TooLarge,
    /// The message did not fit its buffer, so the SDK did not send it (no `alloc` feature).
    Overflow,
    /// A code this SDK does not know yet.
    Other(i32),
}

impl SendError {
    pub fn from_code(code: i32) -> SendError {
        match code {
            -1 => SendError::Malformed,
            -2 => SendError::NoReceiver,
            -3 => SendError::QueueFull,
            -4 => SendError::NotPermitted,
            -5 => SendError::TooLarge,
            other => SendError::Other(other),
        }
    }
}

fn len32(bytes: &[u8]) -> i32 {
    // Agent memory is at most 4 GiB and the host caps messages far below 2 GiB.
    bytes.len().min(i32::MAX as usize) as i32
}

/// Sends an envelope that is already encoded. The host reads it during the call, so the bytes may
/// be reused as soon as this returns. `Ok(n)`: accepted (`n >= 0`, nothing more is promised).
pub fn send_raw(envelope: &[u8]) -> Result<u32, SendError> {
    // SAFETY: the pointer and length describe a live slice of this module's memory.
    let code = unsafe { caxton_send_message(envelope.as_ptr(), len32(envelope)) };
    if code >= 0 {
        Ok(code as u32)
    } else {
        Err(SendError::from_code(code))
    }
}

/// Writes one line to the node's log (control characters are escaped there, long lines cut).
pub fn log(level: Level, text: &str) {
    // SAFETY: as in send_raw.
    unsafe { caxton_log(level as i32, text.as_ptr(), len32(text.as_bytes())) }
}

/// The wall clock, in milliseconds since 1970-01-01 UTC.
pub fn now_millis() -> i64 {
    // SAFETY: no arguments.
    unsafe { caxton_now_millis() }
}

/// Announces a capability (letters, digits and `. _ - : /`, at most 128). `Err(-1)`: a name the
/// host refuses; `Err(-4)`: too many capabilities held already.
pub fn register_capability(name: &str) -> Result<(), i32> {
    // SAFETY: as in send_raw.
    let code = unsafe { caxton_register_capability(name.as_ptr(), len32(name.as_bytes())) };
    if code == 0 {
        Ok(())
    } else {
        Err(code)
    }
}

/// Asks for a timer message in `delay_ms` (0 to 30 days) carrying `tag` (at most 1,024 bytes; the
/// message's content is `{"timer":ID,"tag":"<tag>"}`). `Ok(id)`, id 1 or more; `Err(-1)` for a delay
/// or tag out of range, `Err(-4)` with 1,000 timers pending.
pub fn set_timer(delay_ms: i64, tag: &str) -> Result<i64, i64> {
    // SAFETY: as in send_raw.
    let id = unsafe { caxton_set_timer(delay_ms, tag.as_ptr(), len32(tag.as_bytes())) };
    if id > 0 {
        Ok(id)
    } else {
        Err(id)
    }
}

/// Cancels a pending timer: true when it will not fire, false when no such timer was pending.
pub fn cancel_timer(id: i64) -> bool {
    // SAFETY: no pointers.
    unsafe { caxton_cancel_timer(id) == 0 }
}
