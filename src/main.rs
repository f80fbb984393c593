//! The focus-sql binary: parse arguments, run, exit with the documented code.

fn main() {
    std::process::exit(focus_sql::cli::main());
}
