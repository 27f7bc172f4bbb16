//! Memory given back to the system once work is over. glibc's allocator keeps what its
//! threads freed in per-thread arenas and returns only the top of each heap, so a server
//! that had been busy never came back down from its peak; asking it to trim now and then
//! hands the free pages back.

/// Asks the allocator to give free memory back; called now and then.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn give_back_freed() {
    // SAFETY: malloc_trim only walks glibc's own heaps, under their locks, and takes no
    // pointer from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (musl's) give freed memory back by themselves.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn give_back_freed() {}
