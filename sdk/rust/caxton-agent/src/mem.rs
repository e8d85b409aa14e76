//! Where the agent's buffers come from.
//!
//! Without the `alloc` feature: a bump arena from `__heap_base` (the first byte after the stack and
//! static data, placed by the linker) that starts over at the first `alloc` of each new message.
//! Nothing of one round is needed in the next (ABI v2: the host copies the reply out before it calls
//! into the agent again), so memory stays bounded by the largest single round.
//!
//! With the `alloc` feature: a global allocator with a free list per power-of-two size class, fed by
//! `memory.grow`. It never gives memory back to the host (WebAssembly cannot shrink memory), but a
//! freed block is reused by the next request of its class.

use core::arch::wasm32;

const PAGE: usize = 65536;

extern "C" {
    static __heap_base: u8;
}

fn heap_base() -> usize {
    // SAFETY: only the address of the linker-provided symbol is taken, never its contents.
    unsafe { &__heap_base as *const u8 as usize }
}

/// Makes `[.., end)` addressable, growing memory when needed; false when the host refuses (the
/// agent's memory limit) or the address space is exhausted.
fn ensure(end: usize) -> bool {
    let have = wasm32::memory_size(0) * PAGE;
    if end <= have {
        return true;
    }
    let pages = (end - have + PAGE - 1) / PAGE;
    wasm32::memory_grow(0, pages) != usize::MAX
}

#[cfg(not(feature = "alloc"))]
pub(crate) mod arena {
    use super::{ensure, heap_base};
    use crate::cell::AgentCell;

    static NEXT: AgentCell<usize> = AgentCell::new(0);
    static ROUND_OVER: AgentCell<bool> = AgentCell::new(true);

    /// `size` bytes aligned to 8, or `None` past the memory limit.
    pub(crate) fn take(size: usize) -> Option<*mut u8> {
        if NEXT.get() == 0 {
            NEXT.set(heap_base());
        }
        let start = (NEXT.get() + 7) & !7;
        let end = start.checked_add(size)?;
        if !ensure(end) {
            return None;
        }
        NEXT.set(end);
        Some(start as *mut u8)
    }

    /// Called by the host's `alloc`: the first one after a message was handled starts a new round.
    pub(crate) fn host_alloc(size: usize) -> Option<*mut u8> {
        if ROUND_OVER.get() {
            NEXT.set(heap_base());
            ROUND_OVER.set(false);
        }
        take(size)
    }

    pub(crate) fn round_over() {
        ROUND_OVER.set(true);
    }
}

#[cfg(feature = "alloc")]
pub(crate) mod heap {
    use super::{ensure, heap_base, PAGE};
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::ptr;

    /// Size classes 2^3 .. 2^31 bytes.
    const CLASSES: usize = 32;

    /// A free list per size class, plus the untouched tail of the heap.
    pub struct FreeLists {
        state: crate::cell::AgentCell<State>,
    }

    #[derive(Clone, Copy)]
    struct State {
        free: [usize; CLASSES],
        top: usize,
        end: usize,
    }

    fn class(size: usize, align: usize) -> Option<usize> {
        let need = size.max(align).max(8);
        if need > 1 << (CLASSES - 1) {
            return None;
        }
        Some(need.next_power_of_two().trailing_zeros() as usize)
    }

    impl FreeLists {
        pub const fn new() -> Self {
            FreeLists { state: crate::cell::AgentCell::new(State { free: [0; CLASSES], top: 0, end: 0 }) }
        }

        unsafe fn carve(st: &mut State, block: usize, align: usize) -> *mut u8 {
            if st.top == 0 {
                st.top = heap_base();
                st.end = wasm32::memory_size(0) * PAGE;
            }
            // Someone else (the agent's own code) may have grown memory since: then the tail we
            // knew is no longer contiguous with the new pages, so start over at the current end.
            let now = wasm32::memory_size(0) * PAGE;
            if now != st.end {
                st.top = now;
                st.end = now;
            }
            let start = (st.top + align - 1) & !(align - 1);
            let end = match start.checked_add(block) {
                Some(e) => e,
                None => return ptr::null_mut(),
            };
            if !ensure(end) {
                return ptr::null_mut();
            }
            st.top = end;
            st.end = wasm32::memory_size(0) * PAGE;
            start as *mut u8
        }
    }

    unsafe impl GlobalAlloc for FreeLists {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let k = match class(layout.size(), layout.align()) {
                Some(k) => k,
                None => return ptr::null_mut(),
            };
            let mut st = self.state.get();
            let head = st.free[k];
            let p = if head != 0 {
                // The first word of a free block links to the next free block of its class.
                st.free[k] = *(head as *const usize);
                head as *mut u8
            } else {
                Self::carve(&mut st, 1 << k, layout.align().min(PAGE))
            };
            self.state.set(st);
            p
        }

        unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
            if let Some(k) = class(layout.size(), layout.align()) {
                let mut st = self.state.get();
                // A double free would put the block on its list twice and hand it out twice later,
                // silently. Trap instead (it fails one message, visibly): look through the first
                // blocks of the list, which is where a block freed twice in a row sits.
                let mut at = st.free[k];
                let mut steps = 0;
                while at != 0 && steps < 64 {
                    if at == p as usize {
                        crate::trap();
                    }
                    at = *(at as *const usize);
                    steps += 1;
                }
                *(p as *mut usize) = st.free[k];
                st.free[k] = p as usize;
                self.state.set(st);
            }
        }

        unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // Same class: the block is already big enough.
            if class(layout.size(), layout.align()) == class(new_size, layout.align()) {
                return p;
            }
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let q = self.alloc(new_layout);
            if !q.is_null() {
                ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                self.dealloc(p, layout);
            }
            q
        }
    }
}
