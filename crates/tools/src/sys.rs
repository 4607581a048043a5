//! The two operating-system calls the sandbox needs that the standard library does not
//! offer: resource limits set in the child before `exec`, and a signal to a whole
//! process group. This is the only module of the workspace with `unsafe` code.
#![allow(unsafe_code)]

use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Resource limits applied to the child between `fork` and `exec`, so that the tool and
/// everything it starts inherit them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChildLimits {
    /// `RLIMIT_DATA`: the data segment and private writable mappings, in bytes.
    pub(crate) data_bytes: u64,
    /// `RLIMIT_FSIZE`: the largest file the tool may write, in bytes.
    pub(crate) file_bytes: u64,
}

/// Makes `command` set `limits` (and no core dumps) in the child before it runs.
pub(crate) fn set_limits_before_exec(command: &mut Command, limits: ChildLimits) {
    let hook = move || {
        let limit = |bytes: u64| libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        let (data, file, core) = (limit(limits.data_bytes), limit(limits.file_bytes), limit(0));
        // SAFETY: each `rlimit` is a valid, initialised value that outlives its call.
        let failed = unsafe {
            libc::setrlimit(libc::RLIMIT_DATA, &data) != 0
                || libc::setrlimit(libc::RLIMIT_FSIZE, &file) != 0
                || libc::setrlimit(libc::RLIMIT_CORE, &core) != 0
        };
        if failed {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    };
    // SAFETY: the hook runs in the forked child before `exec`. It only calls
    // `setrlimit`, which is async-signal-safe, reads values copied into the closure and
    // allocates nothing (`last_os_error` only reads `errno`).
    unsafe {
        command.pre_exec(hook);
    }
}

/// Sends `SIGKILL` to every process of the group `pgid` (the tool, and whatever it
/// started without leaving the group). A group that no longer exists is no error.
pub(crate) fn kill_group(pgid: u32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: `kill` takes plain integers; a negative pid addresses a process group.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}
