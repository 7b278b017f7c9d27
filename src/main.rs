//! The `leadscore` binary: parse the command line, run the subcommand, map the outcome
//! to an exit code. All the work is in the library; see `cli/` for one file per
//! subcommand.
//!
//! Exit codes: 0 success (a closed output pipe counts as success), 1 internal failure,
//! 2 bad input or usage, 3 from `monitor` when the leads drifted into the act band.

mod cli;

fn main() {
    let code = match cli::run() {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            eprintln!("leadscore: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
