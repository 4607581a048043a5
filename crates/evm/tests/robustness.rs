//! `analyze` never panics and always returns in bounded time: random bytes, truncated
//! pushes, jumps into push data, code over the size limit, loops, and many mutations of the
//! compiled fixtures (fixed seeds, so failures reproduce).

#[allow(dead_code, reason = "each suite uses part of the fixture table")]
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use evm::{Error, Limits, analyze};

/// Runs `analyze`, turning a panic into a test failure that names the input.
fn must_not_panic(code: &[u8], limits: &Limits) -> Result<evm::Analysis, Error> {
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| analyze(code, limits)))
        .unwrap_or_else(|_| panic!("analyze panicked on {}", devnet::hex(code)));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "analyze took {:?} on {} bytes",
        started.elapsed(),
        code.len()
    );
    result
}

/// Bytes biased towards control flow, so that random programs jump, loop and call.
fn random_program(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    const OPS: &[u8] = &[
        0x5b, 0x56, 0x57, 0x80, 0x81, 0x82, 0x90, 0x91, 0x50, 0x01, 0x03, 0x14, 0x15, 0x16, 0x1c,
        0x20, 0x33, 0x32, 0x34, 0x35, 0x47, 0x51, 0x52, 0x54, 0x55, 0x5a, 0x5f, 0xf1, 0xf4, 0xfa,
        0xff, 0xfd, 0xf3, 0x00, 0xfe, 0x5c, 0x5d, 0x5e,
    ];
    let mut code = Vec::with_capacity(len);
    while code.len() < len {
        match rng.u8(..5) {
            4 => {
                // PUSH32 of all ones, or of random bytes: offsets and sizes near the top.
                code.push(0x7f);
                let ones = rng.bool();
                code.extend((0..32).map(|_| if ones { 0xff } else { rng.u8(..) }));
            }
            0 => {
                code.push(0x60);
                code.push(rng.u8(..u8::try_from(len.min(255)).unwrap_or(255)));
            }
            1 => {
                code.push(0x61);
                code.extend_from_slice(
                    &rng.u16(..u16::try_from(len).unwrap_or(u16::MAX))
                        .to_be_bytes(),
                );
            }
            _ => code.push(OPS[rng.usize(..OPS.len())]),
        }
    }
    code
}

#[test]
fn random_bytes_and_programs() {
    let limits = Limits {
        max_steps: 200_000,
        ..Limits::default()
    };
    let mut rng = fastrand::Rng::with_seed(0x5eed_0001);
    for round in 0..3000 {
        let len = rng.usize(..600);
        let code = if round % 2 == 0 {
            (0..len).map(|_| rng.u8(..)).collect()
        } else {
            random_program(&mut rng, len)
        };
        let _ = must_not_panic(&code, &limits);
    }
}

#[test]
fn mutated_fixtures() {
    let limits = Limits {
        max_steps: 300_000,
        ..Limits::default()
    };
    let mut rng = fastrand::Rng::with_seed(0x5eed_0002);
    let mut codes = Vec::new();
    for file in support::ARTIFACTS {
        let path = support::artifact_path(file);
        for case in support::CASES {
            for name in [case.vulnerable, case.safe] {
                codes.push(
                    devnet::load_artifact(&path, name)
                        .unwrap()
                        .deployed_bytecode,
                );
            }
        }
    }
    for round in 0..600 {
        let mut code = codes[round % codes.len()].clone();
        for _ in 0..rng.usize(1..8) {
            if code.is_empty() {
                break;
            }
            let at = rng.usize(..code.len());
            match rng.u8(..5) {
                4 => {
                    // PUSH32 of all ones, or of random bytes: offsets and sizes near the top.
                    code.push(0x7f);
                    let ones = rng.bool();
                    code.extend((0..32).map(|_| if ones { 0xff } else { rng.u8(..) }));
                }
                0 => code[at] = rng.u8(..),
                1 => code.truncate(at),
                2 => code.insert(at, rng.u8(..)),
                _ => {
                    code.remove(at);
                }
            }
        }
        let _ = must_not_panic(&code, &limits);
    }
}

#[test]
fn memory_offsets_near_the_top_do_not_overflow() {
    // PUSH8 0xff..ff, CALLDATACOPY to it, MSTORE there, MSTORE8, KECCAK256 of it.
    let top = [0x67, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    let mut code = Vec::new();
    code.extend_from_slice(&[0x60, 0x40, 0x5f]);
    code.extend_from_slice(&top);
    code.push(0x37); // CALLDATACOPY(top, 0, 0x40)
    code.extend_from_slice(&[0x33]);
    code.extend_from_slice(&top);
    code.push(0x52); // MSTORE(top, CALLER)
    code.extend_from_slice(&[0x60, 0x01]);
    code.extend_from_slice(&top);
    code.push(0x53); // MSTORE8(top, 1)
    code.extend_from_slice(&[0x60, 0x40]);
    code.extend_from_slice(&top);
    code.extend_from_slice(&[0x20, 0x54, 0x00]); // SLOAD(KECCAK256(top, 0x40)) STOP
    must_not_panic(&code, &Limits::default()).unwrap();
}

#[test]
fn truncated_push_and_empty_code() {
    for code in [
        &[][..],
        &[0x7f][..],
        &[0x7f, 0x01, 0x02][..],
        &[0x60][..],
        &[0x5b][..],
        &[0x56][..],
        &[0x57][..],
        &[0xff][..],
        &[0xf1][..],
    ] {
        let analysis = must_not_panic(code, &Limits::default()).unwrap();
        assert!(analysis.instructions <= code.len());
    }
}

#[test]
fn jump_into_push_data_is_not_followed() {
    // PUSH1 4 JUMP PUSH1 0x5b  SELFDESTRUCT: pc 4 is the 0x5b inside the PUSH1, not a JUMPDEST.
    let code = [0x60, 0x04, 0x56, 0x60, 0x5b, 0xff];
    let analysis = must_not_panic(&code, &Limits::default()).unwrap();
    assert!(analysis.findings().is_empty());
    assert_eq!(analysis.reachable_blocks, 1);
    // The same jump to a real JUMPDEST reaches the SELFDESTRUCT.
    let code = [0x60, 0x04, 0x56, 0x00, 0x5b, 0x33, 0xff];
    let analysis = must_not_panic(&code, &Limits::default()).unwrap();
    assert_eq!(analysis.findings().len(), 1);
}

#[test]
fn code_over_the_limit_is_an_error() {
    let code = vec![0x5b; 1 << 20];
    let error = must_not_panic(&code, &Limits::default()).unwrap_err();
    assert!(matches!(error, Error::CodeTooLarge { len, .. } if len == 1 << 20));
    assert!(error.to_string().contains("max_code_bytes"));
    // At the limit, a long straight line of JUMPDESTs is fine.
    let code = vec![0x5b; Limits::default().max_code_bytes];
    let analysis = must_not_panic(&code, &Limits::default()).unwrap();
    assert_eq!(analysis.blocks, code.len());
}

#[test]
fn loops_terminate() {
    // A counter loop: JUMPDEST PUSH1 1 ADD DUP1 PUSH1 0 JUMPI, entered with 0 on the stack.
    let counter = [0x5f, 0x5b, 0x60, 0x01, 0x01, 0x80, 0x60, 0x01, 0x57, 0x00];
    let analysis = must_not_panic(&counter, &Limits::default()).unwrap();
    assert!(analysis.reachable_blocks >= 2);
    // A loop that grows the stack by one jump destination per turn, until overflow.
    let growing = [0x5b, 0x60, 0x00, 0x80, 0x56];
    let analysis = must_not_panic(&growing, &Limits::default()).unwrap();
    assert!(analysis.pruned_paths > 0);
    assert!(analysis.steps < 1_000, "{} steps", analysis.steps);
    // Nested loops pushing return addresses: ends in a result or a limit error.
    let mut nested = Vec::new();
    for i in 0..200u8 {
        nested.extend_from_slice(&[0x5b, 0x60, i.wrapping_mul(5), 0x60, 0x00, 0x35, 0x57]);
    }
    let _ = must_not_panic(&nested, &Limits::default());
}

#[test]
fn step_limit_is_an_error_with_a_precise_message() {
    let code = support::artifact_path("detectors-0.8.26.json");
    let code = devnet::load_artifact(&code, "DelegatecallVulnerable")
        .unwrap()
        .deployed_bytecode;
    let limits = Limits {
        max_steps: 50,
        ..Limits::default()
    };
    let error = must_not_panic(&code, &limits).unwrap_err();
    assert_eq!(error.kind(), "step-limit");
    assert!(
        error.to_string().contains("50 interpreted instructions"),
        "{error}"
    );
}
