fn main() -> std::process::ExitCode {
    ratesim::cli::main()
}
