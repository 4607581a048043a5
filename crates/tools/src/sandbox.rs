//! Running another analyzer as a contained child process.
//!
//! Every run gets: its own process group (killed as a whole on timeout, and after the
//! tool exits, so nothing it started lingers), a wall-clock timeout, `RLIMIT_DATA` as the
//! memory limit, `RLIMIT_FSIZE` on the files it writes, no core dumps, a working
//! directory the caller owns (a private temporary directory), an environment reduced to
//! what the tools need (no tokens or keys of ours leak into it), stdout and stderr read
//! concurrently with a size cap (the run is stopped when stdout goes past it), and no
//! network when the machine allows a private network namespace (`unshare -n`, or
//! `unshare -rn` in a user namespace); otherwise [`Outcome::network`] says it was not
//! enforced.
//!
//! `RLIMIT_AS` is deliberately not used: Node.js (the solc-js compilers many setups use)
//! reserves tens of gigabytes of address space for WebAssembly and fails under any
//! useful `RLIMIT_AS`, while `RLIMIT_DATA` counts only memory actually made writable.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::sys::{self, ChildLimits};

/// The limits of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time before the process group is killed.
    pub timeout: Duration,
    /// `RLIMIT_DATA` of the tool and its children, in bytes.
    pub memory_bytes: u64,
    /// The most stdout kept; past it the run is stopped. Also the largest file the
    /// tool may write (`RLIMIT_FSIZE`).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            memory_bytes: 4 << 30,
            output_bytes: 64 << 20,
        }
    }
}

/// How much of stderr is kept (its end matters less than its start: tools print the
/// error first and the traceback after).
const STDERR_KEEP: usize = 64 << 10;

/// Environment variables passed through to tools; everything else is dropped.
const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "VIRTUAL_ENV",
    "SOLC_SHIM_HOME",
    "SOLC_VERSION",
    "SVM_HOME",
];

/// One command to run.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The working directory: a private temporary directory of the caller's.
    pub dir: PathBuf,
    /// Variables set on top of the passed-through environment.
    pub env: Vec<(OsString, OsString)>,
}

impl Invocation {
    pub fn new(program: impl Into<PathBuf>, dir: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            dir: dir.into(),
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// How the process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal (not by us).
    Signal(i32),
    /// Killed by us after [`Limits::timeout`].
    TimedOut,
    /// Killed by us when stdout went past [`Limits::output_bytes`].
    OutputLimit,
}

/// Whether the run had a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// In a private network namespace with only a loopback device that is down.
    Isolated,
    /// The machine allows no private network namespace here: the tool had the network.
    NotEnforced,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub exit: Exit,
    /// At most [`Limits::output_bytes`].
    pub stdout: Vec<u8>,
    /// The first [`STDERR_KEEP`] bytes of stderr.
    pub stderr: Vec<u8>,
    pub duration: Duration,
    pub network: Network,
}

impl Outcome {
    /// The last non-empty lines of stderr (at most `n`), for a note.
    pub fn stderr_tail(&self, n: usize) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect();
        lines[lines.len().saturating_sub(n)..].join(" | ")
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot start `{}`: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How a private network namespace can be had on this machine, probed once.
fn network_wrapper() -> Option<&'static [&'static str]> {
    static PROBE: OnceLock<Option<&'static [&'static str]>> = OnceLock::new();
    *PROBE.get_or_init(|| {
        const CANDIDATES: [&[&str]; 2] = [&["unshare", "-n", "--"], &["unshare", "-rn", "--"]];
        CANDIDATES.into_iter().find(|wrapper| {
            Command::new(wrapper[0])
                .args(&wrapper[1..])
                .arg("true")
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    })
}

/// Whether runs on this machine get a private network namespace.
pub fn network_isolation() -> Network {
    if network_wrapper().is_some() {
        Network::Isolated
    } else {
        Network::NotEnforced
    }
}

/// Runs `invocation` under `limits` and waits for it (at most the timeout, plus the time
/// to reap it). Never fails once the process has started: timeouts, crashes and
/// oversized output are in the [`Outcome`].
pub fn run(invocation: &Invocation, limits: &Limits) -> Result<Outcome, SandboxError> {
    let (mut command, network) = match network_wrapper() {
        Some(wrapper) => {
            let mut command = Command::new(wrapper[0]);
            command.args(&wrapper[1..]).arg(&invocation.program);
            (command, Network::Isolated)
        }
        None => (Command::new(&invocation.program), Network::NotEnforced),
    };
    command
        .args(&invocation.args)
        .current_dir(&invocation.dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for key in PASSED_ENV {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    for (key, value) in &invocation.env {
        command.env(key, value);
    }
    sys::set_limits_before_exec(
        &mut command,
        ChildLimits {
            data_bytes: limits.memory_bytes,
            file_bytes: limits.output_bytes as u64,
        },
    );

    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| SandboxError::Spawn {
        program: invocation.program.clone(),
        source,
    })?;
    let pgid = child.id();
    let over_limit = Arc::new(AtomicBool::new(false));
    let stdout = child.stdout.take().map(|pipe| {
        let flag = Arc::clone(&over_limit);
        let cap = limits.output_bytes;
        std::thread::spawn(move || read_capped(pipe, cap, Some(&flag)))
    });
    let stderr = child
        .stderr
        .take()
        .map(|pipe| std::thread::spawn(move || read_capped(pipe, STDERR_KEEP, None)));

    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Exit::Code(code),
                    // Killed by a broken pipe or the like after it printed too much.
                    (None, _) if over_limit.load(Ordering::Relaxed) => Exit::OutputLimit,
                    (None, signal) => Exit::Signal(signal.unwrap_or(0)),
                };
            }
            Ok(None) => {}
            Err(_) => {
                sys::kill_group(pgid);
                let _ = child.wait();
                break Exit::Signal(libc::SIGKILL);
            }
        }
        if over_limit.load(Ordering::Relaxed) {
            sys::kill_group(pgid);
            let _ = child.wait();
            break Exit::OutputLimit;
        }
        if started.elapsed() >= limits.timeout {
            sys::kill_group(pgid);
            let _ = child.wait();
            break Exit::TimedOut;
        }
        std::thread::sleep(poll_interval(started.elapsed()));
    };
    // Whatever the tool left running in its group goes too, which also closes the pipes
    // the readers wait on.
    sys::kill_group(pgid);
    let stdout = stdout.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Outcome {
        exit,
        stdout,
        stderr,
        duration: started.elapsed(),
        network,
    })
}

/// Short polls while a run is young (most `--version` calls end within milliseconds),
/// longer ones after.
fn poll_interval(elapsed: Duration) -> Duration {
    if elapsed < Duration::from_millis(200) {
        Duration::from_millis(5)
    } else {
        Duration::from_millis(50)
    }
}

/// Reads `pipe` to its end, keeping at most `cap` bytes. With `over`, reading more than
/// `cap` bytes sets it (and keeps draining, so the writer never blocks on a full pipe
/// before it is killed).
fn read_capped(mut pipe: impl Read, cap: usize, over: Option<&AtomicBool>) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 << 10];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                if let Some(flag) = over.filter(|_| n > room) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept
}

/// The executable `name` in the directories of `PATH`, as the shell would find it.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file someone may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
