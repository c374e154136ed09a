//! `twostep-server`: see `twostep-server --help`.

fn main() -> std::process::ExitCode {
    twostep_server::cli::main()
}
