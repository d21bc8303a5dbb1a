//! `mesos-docker-executor`: see the library for everything; this maps its result to the
//! process exit status.

fn main() {
    std::process::exit(docker_executor::main_entry());
}
