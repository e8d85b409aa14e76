//! A byte buffer for building messages and log lines, with JSON writers.
//!
//! Without the `alloc` feature a `Buf` has a fixed capacity taken from the per-message arena;
//! writing past it sets [`Buf::overflowed`] instead of growing (a reply or message built from an
//! overflowed buffer is refused by the SDK rather than sent cut short). With `alloc` it grows.

use crate::json::Json;
use core::fmt;

/// Capacity of [`Buf::new`] without the `alloc` feature.
pub const DEFAULT_CAPACITY: usize = 64 * 1024;

/// See the module documentation.
pub struct Buf {
    #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
    v: alloc::vec::Vec<u8>,
    #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
    ptr: *mut u8,
    #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
    len: usize,
    #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
    cap: usize,
    overflow: bool,
}

impl Buf {
    /// A buffer of [`DEFAULT_CAPACITY`] bytes (a starting size with `alloc`).
    pub fn new() -> Buf {
        Buf::with_capacity(DEFAULT_CAPACITY)
    }

    #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
    pub fn with_capacity(capacity: usize) -> Buf {
        Buf { v: alloc::vec::Vec::with_capacity(capacity.min(DEFAULT_CAPACITY)), overflow: false }
    }

    /// A buffer that holds at most `capacity` bytes. It lives until the next message arrives.
    #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
    pub fn with_capacity(capacity: usize) -> Buf {
        match crate::mem::arena::take(capacity) {
            Some(ptr) => Buf { ptr, len: 0, cap: capacity, overflow: false },
            None => Buf { ptr: core::ptr::null_mut(), len: 0, cap: 0, overflow: true },
        }
    }

    #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
    pub(crate) fn into_vec(self) -> alloc::vec::Vec<u8> {
        self.v
    }

    pub fn as_bytes(&self) -> &[u8] {
        #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
        return &self.v;
        #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
        // SAFETY: ptr..ptr+len was handed out by the arena and written by push_bytes.
        return if self.len == 0 { &[] } else { unsafe { core::slice::from_raw_parts(self.ptr, self.len) } };
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when something did not fit (never with `alloc`, where the buffer grows).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    pub fn clear(&mut self) {
        #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
        self.v.clear();
        #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
        {
            self.len = 0;
        }
        self.overflow = false;
    }

    /// Drops the bytes after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
        self.v.truncate(len);
        #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
        {
            self.len = self.len.min(len);
        }
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        #[cfg(any(feature = "alloc", not(target_arch = "wasm32")))]
        self.v.extend_from_slice(bytes);
        #[cfg(not(any(feature = "alloc", not(target_arch = "wasm32"))))]
        {
            if self.overflow || self.cap - self.len < bytes.len() {
                self.overflow = true;
                return;
            }
            // SAFETY: the room was checked just above; the arena owns ptr..ptr+cap for this round.
            unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len()) };
            self.len += bytes.len();
        }
    }

    pub fn push_str(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    pub fn push_byte(&mut self, b: u8) {
        self.push_bytes(&[b]);
    }

    /// Writes `text` as a JSON string, quotes and escapes included.
    pub fn json_str(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.push_byte(b'"');
        let bytes = text.as_bytes();
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let esc: Option<&[u8]> = match b {
                b'"' => Some(b"\\\""),
                b'\\' => Some(b"\\\\"),
                b'\n' => Some(b"\\n"),
                b'\r' => Some(b"\\r"),
                b'\t' => Some(b"\\t"),
                0..=0x1f => Some(b""),
                _ => None,
            };
            if let Some(e) = esc {
                self.push_bytes(&bytes[run..i]);
                run = i + 1;
                if e.is_empty() {
                    self.push_bytes(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
                } else {
                    self.push_bytes(e);
                }
            }
        }
        self.push_bytes(&bytes[run..]);
        self.push_byte(b'"');
    }

    /// Writes a number; a NaN or an infinity, which JSON cannot hold, becomes `null`.
    pub fn json_f64(&mut self, x: f64) {
        if x.is_finite() {
            let _ = fmt::Write::write_fmt(self, format_args!("{}", x));
        } else {
            self.push_str("null");
        }
    }

    pub fn json_i64(&mut self, x: i64) {
        let _ = fmt::Write::write_fmt(self, format_args!("{}", x));
    }

    pub fn json_bool(&mut self, b: bool) {
        self.push_str(if b { "true" } else { "false" });
    }

    /// Copies a value that was read from a message, as it was.
    pub fn json_value(&mut self, v: Json) {
        self.push_bytes(v.raw());
    }
}

impl Default for Buf {
    fn default() -> Self {
        Buf::new()
    }
}

impl fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        if self.overflow {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}
