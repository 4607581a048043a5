//! The sandbox's limits, with fake tools: one that hangs (and leaves a child behind),
//! one that prints garbage, one that prints without end, one that crashes, one that
//! looks for our environment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tools::sandbox::{self, Exit, Invocation, Limits, Network};

/// Writes an executable shell script `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn limits(timeout_ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        memory_bytes: 1 << 30,
        output_bytes: 1 << 20,
    }
}

fn alive(pid: u32) -> bool {
    // A zombie is dead for our purpose: it runs nothing.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

#[test]
fn a_tool_that_sleeps_past_its_timeout_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let tool = script(
        dir.path(),
        "hang",
        &format!("sleep 300 &\necho $! > {}\nsleep 300", pids.display()),
    );
    let outcome = sandbox::run(&Invocation::new(&tool, dir.path()), &limits(1500)).unwrap();
    assert_eq!(outcome.exit, Exit::TimedOut);
    assert!(
        outcome.duration < Duration::from_secs(30),
        "{:?}",
        outcome.duration
    );
    let child: u32 = std::fs::read_to_string(&pids)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The kill is asynchronous; give the kernel a moment.
    for _ in 0..100 {
        if !alive(child) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(child),
        "the tool's child {child} outlived the timeout"
    );
}

#[test]
fn garbage_output_is_returned_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let tool = script(
        dir.path(),
        "garbage",
        "printf '\\001\\377 not json {{{'; echo oops >&2; exit 3",
    );
    let outcome = sandbox::run(&Invocation::new(&tool, dir.path()), &limits(10_000)).unwrap();
    assert_eq!(outcome.exit, Exit::Code(3));
    assert_eq!(&outcome.stdout[..2], b"\x01\xff");
    assert_eq!(outcome.stderr_tail(3), "oops");
}

#[test]
fn huge_output_stops_the_run_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let tool = script(
        dir.path(),
        "huge",
        "exec yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
    );
    let outcome = sandbox::run(&Invocation::new(&tool, dir.path()), &limits(20_000)).unwrap();
    assert_eq!(outcome.exit, Exit::OutputLimit);
    assert_eq!(outcome.stdout.len(), 1 << 20);
}

#[test]
fn a_crash_is_reported_with_its_signal() {
    let dir = tempfile::tempdir().unwrap();
    let tool = script(dir.path(), "crash", "kill -SEGV $$");
    let outcome = sandbox::run(&Invocation::new(&tool, dir.path()), &limits(10_000)).unwrap();
    assert_eq!(outcome.exit, Exit::Signal(11), "SIGSEGV");
}

#[test]
fn the_environment_is_reduced_and_the_working_directory_is_the_callers() {
    let dir = tempfile::tempdir().unwrap();
    // `cargo test` gives this process `CARGO_*` variables; the tool must not see them.
    let tool = script(
        dir.path(),
        "env",
        "pwd; echo \"leaked=${CARGO_PKG_NAME:-none}\"; echo \"given=$GIVEN\"",
    );
    let outcome = sandbox::run(
        &Invocation::new(&tool, dir.path()).env("GIVEN", "yes"),
        &limits(10_000),
    )
    .unwrap();
    let text = String::from_utf8(outcome.stdout).unwrap();
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        text.starts_with(&format!("{}\n", canonical.display())),
        "{text}"
    );
    assert!(text.contains("leaked=none"), "{text}");
    assert!(text.contains("given=yes"), "{text}");
}

#[test]
fn the_memory_limit_applies_to_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    // Python allocating 600 MB under a 256 MiB data limit fails with MemoryError.
    let Some(python) = sandbox::find_on_path("python3") else {
        eprintln!("skipped: python3 is not on PATH");
        return;
    };
    let invocation = Invocation::new(python, dir.path())
        .args(["-c", "b = bytearray(600 * 1024 * 1024); print('allocated')"]);
    let outcome = sandbox::run(
        &invocation,
        &Limits {
            memory_bytes: 256 << 20,
            ..limits(30_000)
        },
    )
    .unwrap();
    assert_ne!(outcome.exit, Exit::Code(0));
    assert!(!String::from_utf8_lossy(&outcome.stdout).contains("allocated"));
}

#[test]
fn no_network_when_the_machine_allows_a_namespace() {
    let dir = tempfile::tempdir().unwrap();
    // `/proc/net/dev` lists the interfaces of the reader's network namespace.
    let tool = script(dir.path(), "net", "tail -n +3 /proc/net/dev | cut -d: -f1");
    let outcome = sandbox::run(&Invocation::new(&tool, dir.path()), &limits(10_000)).unwrap();
    match outcome.network {
        Network::Isolated => {
            assert_eq!(String::from_utf8_lossy(&outcome.stdout).trim(), "lo");
        }
        Network::NotEnforced => eprintln!("network isolation is not available here: not checked"),
    }
}
