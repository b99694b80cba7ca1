//! The machine stack of the calling thread: its stack pointer, frame
//! pointer and upper bound, for frame-pointer walks that never read outside
//! the thread's stack (`profiles::unwind`).
//!
//! Everything here is async-signal-safe except [`stack_top`], which is
//! called once per thread, at registration.

/// The stack pointer of the caller (an address inside its frame).
#[inline(always)]
pub fn current_sp() -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory access, no
        // side effect.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory access, no
        // side effect.
        unsafe {
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    // Miri runs no assembly.
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        // The address of a local: inside the caller's frame once inlined.
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}

/// The frame pointer register of the caller (meaningful only in code
/// compiled with frame pointers; 0 where it cannot be read).
#[inline(always)]
pub fn current_fp() -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let fp: usize;
        // SAFETY: reads the rbp register; no memory access, no side effect.
        unsafe {
            std::arch::asm!("mov {}, rbp", out(reg) fp, options(nomem, nostack, preserves_flags))
        };
        fp
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    {
        let fp: usize;
        // SAFETY: reads the x29 (frame pointer) register; no memory
        // access, no side effect.
        unsafe {
            std::arch::asm!("mov {}, x29", out(reg) fp, options(nomem, nostack, preserves_flags))
        };
        fp
    }
    // Miri runs no assembly.
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        0
    }
}

/// The highest address of the calling thread's stack (its base: stacks
/// grow down from it), or 0 if it cannot be found. Not async-signal-safe
/// (the C library may read /proc for the main thread): call it once per
/// thread, outside any signal handler.
pub fn stack_top() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
    {
        // SAFETY: `attr` is initialized by pthread_getattr_np before it is
        // read and destroyed after; the out-pointers point at locals.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                return 0;
            }
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size: libc::size_t = 0;
            let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
            libc::pthread_attr_destroy(&mut attr);
            if ok {
                (addr as usize).saturating_add(size)
            } else {
                0
            }
        }
    }
    // Miri does not model pthread_getattr_np.
    #[cfg(any(miri, not(all(target_os = "linux", target_env = "gnu"))))]
    {
        0
    }
}
