//! Helpers shared by the integration tests: a scratch folder per test and a way to run
//! the real `leadscore` binary in it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod locale;
pub mod receiver;
pub mod server;

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert the run failed with exit code 2 and its message contains every `needle`.
    pub fn assert_bad_input(&self, needles: &[&str]) {
        assert_eq!(self.code, 2, "expected exit 2, got {}; stderr: {}", self.code, self.stderr);
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        for n in needles {
            assert!(self.stderr.contains(n), "stderr lacks {n:?}: {}", self.stderr);
        }
    }

    pub fn assert_ok(&self) {
        assert_eq!(self.code, 0, "exit {}; stderr: {}\nstdout: {}", self.code, self.stderr, self.stdout);
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch { dir: tempfile::tempdir().expect("scratch dir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write fixture");
        p
    }

    /// Run the binary with `args` in the scratch folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run leadscore");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }

    /// [`Scratch::run`] with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = self.command(args, env).output().expect("run leadscore");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        }
    }

    /// The binary with `args` and extra environment variables, in the scratch folder, not
    /// yet started (for tests that stop it midway).
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_leadscore"));
        c.args(args).current_dir(self.dir.path());
        for (k, v) in env {
            c.env(k, v);
        }
        c
    }

    /// Run the binary with `args`, `stdin` on its standard input; (exit code, stdout
    /// bytes, stderr).
    pub fn run_piped(&self, args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_leadscore"))
            .args(args)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run leadscore");
        let mut input = child.stdin.take().expect("stdin");
        let data = stdin.to_vec();
        let feeder = std::thread::spawn(move || {
            // The binary may stop reading early (an error): a closed pipe is not ours.
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait");
        feeder.join().expect("feeder");
        (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).to_string())
    }

    /// A synthetic CRM export made by `leadscore synth`.
    pub fn synth(&self, name: &str, rows: usize, seed: u64) -> PathBuf {
        let r = self.run(&["synth", "--rows", &rows.to_string(), "--seed", &seed.to_string(), "--output", name, "-q"]);
        r.assert_ok();
        self.path(name)
    }

    /// Train on a synthetic file; returns the model path.
    pub fn trained_model(&self, data: &str, model: &str) -> PathBuf {
        let r = self.run(&["train", "--data", data, "--label", "outcome", "--id", "lead_id", "--model", model, "-q"]);
        r.assert_ok();
        self.path(model)
    }

    /// Files in the scratch folder (to check nothing partial was left).
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("read scratch")
            .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }
}

/// Read one column of a CSV written by leadscore.
pub fn csv_column(path: &Path, name: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(path).expect("open csv");
    let headers = rdr.headers().expect("headers").clone();
    let idx = headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {headers:?}"));
    rdr.records().map(|r| r.expect("record")[idx].to_string()).collect()
}

pub fn csv_f64(path: &Path, name: &str) -> Vec<f64> {
    csv_column(path, name).iter().map(|v| v.parse().expect("number")).collect()
}

/// A scored file's reasons text as its reasons, each whole: split after each reason's
/// closing `)` (a reason on a value beyond the training range holds "; " inside its
/// brackets: `employees = 1e9 (above the 51071 seen in training; -0.90)`).
pub fn split_reasons(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text.split("); ").map(|r| format!("{r})")).collect();
    if let Some(last) = out.last_mut() {
        last.pop();
    }
    out.retain(|r| !r.is_empty());
    out
}
