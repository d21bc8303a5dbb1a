//! Shell completions from the clap definitions, named as each shell looks them up.

use clap::Command;
use clap_complete::Shell;

/// The shells completions are generated for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// The file name `shell` looks a completion of `bin` up by: `bin` in bash-completion's
/// completions directory, `_bin` on zsh's fpath, `bin.fish` in fish's.
pub fn file_name(shell: Shell, bin: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{bin}"),
        Shell::Fish => format!("{bin}.fish"),
        _ => bin.to_string(),
    }
}

/// The completion script of `cmd` for `shell`.
pub fn script(shell: Shell, mut cmd: Command) -> String {
    let bin = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, bin, &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands;

    #[test]
    fn scripts_complete_the_real_flags() {
        let bash = script(Shell::Bash, commands::containerizer());
        assert!(
            bash.contains("--work_dir") && bash.contains("explain"),
            "{bash}"
        );
        let zsh = script(Shell::Zsh, commands::executor());
        assert!(zsh.starts_with("#compdef mesos-docker-executor"), "{zsh}");
        assert!(zsh.contains("--sandbox_directory"));
        let fish = script(Shell::Fish, commands::fetcher());
        assert!(fish.contains("-c mesos-fetcher") && fish.contains("logging_level"));
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name(Shell::Bash, "mesos-fetcher"), "mesos-fetcher");
        assert_eq!(file_name(Shell::Zsh, "mesos-fetcher"), "_mesos-fetcher");
        assert_eq!(
            file_name(Shell::Fish, "mesos-fetcher"),
            "mesos-fetcher.fish"
        );
    }
}
