//! `docker pull` against the local registries, and its deadlines and de-duplication with
//! fake docker programs.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// A uniquely tagged copy of the busybox image pushed to `registry` (with `config_dir` as
/// the client config for the auth registry), absent from the local store, removed locally
/// on drop. Unique tags keep parallel tests (and other crates' tests) apart.
struct PushedCopy {
    image: String,
}

impl PushedCopy {
    fn new(registry: &str, repo: &str, config_dir: Option<&Path>) -> Self {
        let image = format!(
            "{registry}/mesos-test/{repo}:{}",
            test_rig::unique_name("t")
        );
        test_rig::docker(&["tag", test_rig::BUSYBOX_IMAGE, &image]);
        let mut push = Command::new("docker");
        if let Some(dir) = config_dir {
            push.arg("--config").arg(dir);
        }
        let out = push
            .args(["push", &image])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let copy = PushedCopy { image };
        assert!(
            out.status.success(),
            "push of {} failed: {}",
            copy.image,
            String::from_utf8_lossy(&out.stderr)
        );
        copy.remove_local();
        copy
    }

    fn remove_local(&self) {
        let _ = Command::new("docker")
            .args(["rmi", &self.image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for PushedCopy {
    fn drop(&mut self) {
        self.remove_local();
    }
}

fn auth_config_dir() -> (DockerConfigHome, std::path::PathBuf) {
    let home = DockerConfig::parse(&test_rig::auth_docker_config_json())
        .unwrap()
        .materialize()
        .unwrap();
    let dir = home.path().join(".docker");
    (home, dir)
}

fn empty_home() -> (tempfile::TempDir, PullOptions) {
    let home = tempfile::tempdir().unwrap();
    let options = PullOptions {
        home: Some(home.path().to_path_buf()),
        ..Default::default()
    };
    (home, options)
}

#[tokio::test]
async fn pull_from_the_open_registry() {
    let docker = real_docker();
    let copy = PushedCopy::new(test_rig::OPEN_REGISTRY, "pull", None);
    let (_home, options) = empty_home();
    assert!(docker
        .inspect_image(&copy.image)
        .await
        .unwrap_err()
        .is_not_found());
    let image = docker.pull(&copy.image, false, &options).await.unwrap();
    assert_eq!(image.cmd, Some(vec!["/bin/sh".to_string()]));
    assert!(image
        .env
        .unwrap()
        .contains(&("PATH".to_string(), "/bin".to_string())));
    assert!(docker.inspect_image(&copy.image).await.is_ok());
}

#[tokio::test]
async fn present_images_are_not_pulled_unless_forced() {
    let docker = real_docker();
    // A local-only tag: any registry contact for it fails.
    let image = format!(
        "{}/mesos-test/local-only:{}",
        test_rig::OPEN_REGISTRY,
        test_rig::unique_name("t")
    );
    test_rig::docker(&["tag", test_rig::BUSYBOX_IMAGE, &image]);
    let _cleanup = scopeguard(image.clone());
    let (_home, options) = empty_home();
    let found = docker.pull(&image, false, &options).await.unwrap();
    assert_eq!(found.cmd, Some(vec!["/bin/sh".to_string()]));
    let err = docker.pull(&image, true, &options).await.unwrap_err();
    assert!(matches!(err, DockerError::Failed { .. }), "{err}");
    assert!(err.to_string().contains("pull"), "{err}");
}

#[tokio::test]
async fn image_entrypoint_is_read() {
    let docker = real_docker();
    let (_home, options) = empty_home();
    let image = docker
        .pull(test_rig::ENTRYPOINT_IMAGE, false, &options)
        .await
        .unwrap();
    assert_eq!(
        image.entrypoint,
        Some(vec!["/bin/echo".to_string(), "entrypoint".to_string()])
    );
    assert_eq!(image.cmd, Some(vec!["default-cmd".to_string()]));
}

#[tokio::test]
async fn auth_registry_needs_credentials() {
    let docker = real_docker();
    let (_push_home, push_dir) = auth_config_dir();
    let copy = PushedCopy::new(test_rig::AUTH_REGISTRY, "private", Some(&push_dir));

    // Without credentials: a clear error, and nothing of the password anywhere.
    let (_home, options) = empty_home();
    let err = docker.pull(&copy.image, false, &options).await.unwrap_err();
    assert!(matches!(err, DockerError::PullUnauthorized { .. }), "{err}");
    assert!(err.to_string().contains("requires authentication"), "{err}");

    // With `--docker_config` in the config.json format, as a temporary HOME.
    let config = DockerConfig::parse(&test_rig::auth_docker_config_json()).unwrap();
    let config_home = config.materialize().unwrap();
    let sandbox = tempfile::tempdir().unwrap();
    let options = PullOptions {
        home: Some(pull_home(sandbox.path(), Some(&config_home))),
        ..Default::default()
    };
    assert_eq!(options.home.as_deref(), Some(config_home.path()));
    docker.pull(&copy.image, true, &options).await.unwrap();
    copy.remove_local();

    // With the old `.dockercfg` format (what Mesos writes for JSON without `auths`).
    let json: serde_json::Value =
        serde_json::from_str(&test_rig::auth_docker_config_json()).unwrap();
    let old = DockerConfig::parse(&json["auths"].to_string()).unwrap();
    assert!(!old.is_auths_format());
    let old_home = old.materialize().unwrap();
    let options = PullOptions {
        home: Some(old_home.path().to_path_buf()),
        ..Default::default()
    };
    docker.pull(&copy.image, false, &options).await.unwrap();

    // A DOCKER_CONFIG directory works too; force-pull to reach the registry again.
    let options = PullOptions {
        docker_config_dir: Some(push_dir.clone()),
        ..Default::default()
    };
    docker.pull(&copy.image, true, &options).await.unwrap();
}

/// The docker CLIs here: the first on PATH (28.x reads no `~/.dockercfg`) and Debian's
/// `/usr/bin/docker` (20.10 still does), when it is another one.
fn docker_clis() -> Vec<Docker> {
    let socket = Some(Path::new(DEFAULT_DOCKER_SOCKET));
    let mut clis = vec![real_docker()];
    let version = |cli: &str| {
        Command::new(cli)
            .arg("--version")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default()
    };
    if Path::new("/usr/bin/docker").exists() && version("/usr/bin/docker") != version("docker") {
        clis.push(Docker::new("/usr/bin/docker", socket).unwrap());
    } else {
        eprintln!("note: one docker CLI only; testing with it alone");
    }
    clis
}

/// Mesos's way to a private registry, a `.dockercfg` (or `.docker/config.json`) fetched
/// into the sandbox, works with every docker CLI once translated into a private HOME; in
/// place (HOME = the sandbox) a `.dockercfg` is lost on today's CLI.
#[tokio::test]
async fn a_sandbox_docker_config_pulls_with_every_docker_cli() {
    let (_push_home, push_dir) = auth_config_dir();
    let json: serde_json::Value =
        serde_json::from_str(&test_rig::auth_docker_config_json()).unwrap();
    for docker in docker_clis() {
        let copy = PushedCopy::new(test_rig::AUTH_REGISTRY, "sandboxcfg", Some(&push_dir));
        let sandbox = tempfile::tempdir().unwrap();
        std::fs::write(sandbox.path().join(".dockercfg"), json["auths"].to_string()).unwrap();
        let credentials = pull_credentials(sandbox.path(), None).unwrap().unwrap();
        let options = PullOptions {
            home: Some(pull_home(sandbox.path(), Some(&credentials))),
            ..Default::default()
        };
        assert_ne!(options.home.as_deref(), Some(sandbox.path()));
        let program = docker.program().display().to_string();
        docker
            .pull(&copy.image, true, &options)
            .await
            .unwrap_or_else(|e| panic!("{program}, .dockercfg: {e}"));
        let private = credentials.path().to_path_buf();
        drop(credentials);
        assert!(!private.exists(), "the private HOME is removed");
        copy.remove_local();

        std::fs::remove_file(sandbox.path().join(".dockercfg")).unwrap();
        std::fs::create_dir(sandbox.path().join(".docker")).unwrap();
        std::fs::write(sandbox.path().join(".docker/config.json"), json.to_string()).unwrap();
        let credentials = pull_credentials(sandbox.path(), None).unwrap().unwrap();
        let options = PullOptions {
            home: Some(pull_home(sandbox.path(), Some(&credentials))),
            ..Default::default()
        };
        docker
            .pull(&copy.image, true, &options)
            .await
            .unwrap_or_else(|e| panic!("{program}, .docker/config.json: {e}"));
    }
}

#[tokio::test]
async fn the_fixture_private_image_needs_credentials() {
    let docker = real_docker();
    let (_home, options) = empty_home();
    // Forced, so a copy another test left in the local store does not matter.
    let err = docker
        .pull(&test_rig::auth_registry_image(), true, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, DockerError::PullUnauthorized { .. }), "{err}");
}

/// A fake docker: image inspect fails until a pull has run; each pull is logged and takes
/// `pull_secs`, printing `lines` progress lines first.
fn fake_puller(state: &Path, pull_body: &str) -> (tempfile::TempDir, Docker) {
    fake_docker(&format!(
        r#"state={state}
case "$1" in
inspect) if [ -f "$state/pulled" ]; then echo '[{{"Id":"sha256:1","Config":{{"Cmd":["sh"]}}}}]'; else echo "Error: No such image: $4" >&2; exit 1; fi ;;
pull) echo "$3" >> "$state/log"; {pull_body}; touch "$state/pulled" ;;
esac"#,
        state = state.display()
    ))
}

#[tokio::test]
async fn concurrent_pulls_of_one_image_run_docker_pull_once() {
    let state = tempfile::tempdir().unwrap();
    let (_dir, docker) = fake_puller(state.path(), "echo start; sleep 1; echo done");
    let docker = Arc::new(docker);
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let docker = docker.clone();
        tasks.push(tokio::spawn(async move {
            docker
                .pull("registry:5000/app", false, &PullOptions::default())
                .await
        }));
    }
    for task in tasks {
        let image = task.await.unwrap().unwrap();
        assert_eq!(image.cmd, Some(vec!["sh".to_string()]));
    }
    let log = std::fs::read_to_string(state.path().join("log")).unwrap();
    assert_eq!(log.lines().collect::<Vec<_>>(), ["registry:5000/app"]);
}

#[tokio::test]
async fn a_silent_pull_is_killed_for_no_progress() {
    let state = tempfile::tempdir().unwrap();
    let (_dir, docker) = fake_puller(state.path(), "echo 'Pulling fs layer'; sleep 60");
    let options = PullOptions {
        no_progress_deadline: Duration::from_millis(500),
        ..Default::default()
    };
    let started = Instant::now();
    let err = docker
        .pull("stuck/image", false, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, DockerError::NoProgress { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_chatty_pull_is_killed_at_its_deadline() {
    let state = tempfile::tempdir().unwrap();
    let (_dir, docker) = fake_puller(
        state.path(),
        "while true; do echo Downloading; sleep 0.1; done",
    );
    let options = PullOptions {
        deadline: Duration::from_secs(1),
        no_progress_deadline: Duration::from_millis(500),
        ..Default::default()
    };
    let started = Instant::now();
    let err = docker
        .pull("slow/image", false, &options)
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Removes a local image tag when dropped.
fn scopeguard(image: String) -> impl Drop {
    struct Rmi(String);
    impl Drop for Rmi {
        fn drop(&mut self) {
            let _ = Command::new("docker")
                .args(["rmi", &self.0])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    Rmi(image)
}
