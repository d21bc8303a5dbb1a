//! Records the git commit the binary was built from, for `--version`.

fn main() {
    build_commit::emit();
}
