//! The exit code `docker run` reports for a container the daemon could not start: 127 when
//! the command was not found, 126 when it could not be executed, 125 for anything else.
//! Tasks keep reporting what they reported when the executor ran `docker run`
//! (`Container exited with status 127: ...`), though no `docker run` runs now.

/// `docker run`'s exit code for a start refused with the daemon's `message`.
pub fn exit_code_for(message: &str) -> i32 {
    if [
        "executable file not found",
        "no such file or directory",
        "system cannot find the file specified",
    ]
    .iter()
    .any(|m| message.contains(m))
    {
        127
    } else if message.contains("permission denied") || message.contains("is a directory") {
        126
    } else {
        125
    }
}

#[cfg(test)]
mod tests {
    use super::exit_code_for;

    #[test]
    fn codes_as_docker_run_gives_them() {
        assert_eq!(exit_code_for("OCI runtime create failed: exec: \"nope\": executable file not found in $PATH: unknown"), 127);
        assert_eq!(
            exit_code_for("exec: \"/x\": stat /x: no such file or directory"),
            127
        );
        assert_eq!(exit_code_for("exec: \"/etc\": permission denied"), 126);
        assert_eq!(exit_code_for("exec: \"/etc\": is a directory"), 126);
        assert_eq!(
            exit_code_for("driver failed programming external connectivity"),
            125
        );
    }
}
