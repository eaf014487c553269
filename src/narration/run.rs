//! Running a speech program: text in, bytes out, killed when it hangs.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// How a program ended.
pub(super) enum Outcome {
    /// Exit status 0, with what it wrote to stdout.
    Done(Vec<u8>),
    /// Another exit status, with what it wrote to stderr.
    Failed(String),
}

/// Runs `program args`, writing `stdin` to it; kills it after `timeout`.
pub(super) fn run(
    program: &str,
    args: &[String],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<Outcome> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let input = stdin.map(|s| s.to_vec());
    let mut pipe_in = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let (Some(mut pipe), Some(bytes)) = (pipe_in.take(), input) {
            // A program that exits early closes the pipe: not an error of ours.
            let _ = pipe.write_all(&bytes);
        }
    });
    let mut out_pipe = child.stdout.take().context("no stdout")?;
    let mut err_pipe = child.stderr.take().context("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = out_pipe.read_to_end(&mut out);
        out
    });
    let err_reader = std::thread::spawn(move || {
        let mut err = Vec::new();
        let _ = err_pipe.read_to_end(&mut err);
        err
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{program} did not finish within {:.0} s: stopped",
                timeout.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    Ok(if status.success() {
        Outcome::Done(out)
    } else {
        let err = String::from_utf8_lossy(&err).trim().to_string();
        Outcome::Failed(if err.is_empty() {
            format!("{program} exited with {status}")
        } else {
            err
        })
    })
}
