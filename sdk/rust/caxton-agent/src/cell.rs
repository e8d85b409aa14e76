//! Agent state in statics without `static mut`.

use core::cell::UnsafeCell;

/// A value an agent keeps between messages, such as a running total: `static TOTAL: AgentCell<f64>
/// = AgentCell::new(0.0);`, then `TOTAL.get()` and `TOTAL.set(x)`.
///
/// A WebAssembly agent runs on one thread and the host never calls into it twice at once, which is
/// what makes the `Sync` below sound; the value is `Copy` so that no reference into the cell can
/// outlive a `set`.
pub struct AgentCell<T: Copy>(UnsafeCell<T>);

// SAFETY: wasm32-unknown-unknown agents have exactly one thread (see above).
unsafe impl<T: Copy> Sync for AgentCell<T> {}

impl<T: Copy> AgentCell<T> {
    pub const fn new(value: T) -> Self {
        AgentCell(UnsafeCell::new(value))
    }

    pub fn get(&self) -> T {
        // SAFETY: single-threaded, and no reference escapes (T is Copy).
        unsafe { *self.0.get() }
    }

    pub fn set(&self, value: T) {
        // SAFETY: as for get.
        unsafe { *self.0.get() = value }
    }
}
