//! The Engine API's image inspect and container listing against the real daemon: what they
//! return is what the docker CLI says.

use docker_cli::{PsFilter, Timeouts};
use docker_engine::Engine;
use test_rig::{docker, ContainerGuard, BUSYBOX_IMAGE};

fn engine() -> Engine {
    Engine::new("/var/run/docker.sock", Timeouts::default())
}

#[tokio::test]
async fn a_present_image_is_found_with_its_config_and_a_missing_one_is_not_found() {
    test_rig::require_docker();
    let image = engine().inspect_image(BUSYBOX_IMAGE).await.unwrap();
    let id = docker(&["image", "inspect", "-f", "{{.Id}}", BUSYBOX_IMAGE]);
    assert_eq!(image.id.as_deref(), Some(id.trim()));
    let err = engine()
        .inspect_image("mesos-test/no-such-image:nope")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        err.to_string(),
        "No such image: mesos-test/no-such-image:nope"
    );
}

#[tokio::test]
async fn the_listing_keeps_to_the_name_prefix_and_the_labels() {
    test_rig::require_docker();
    let label = test_rig::unique_name("agent-");
    let prefix = test_rig::unique_name("lst");
    let ours = format!("{prefix}-a");
    let unlabelled = format!("{prefix}-b");
    let other_prefix = format!("x{prefix}-c");
    let _guards: Vec<_> = [&ours, &unlabelled, &other_prefix]
        .iter()
        .map(|n| ContainerGuard(n.to_string()))
        .collect();
    let id = docker(&[
        "create",
        "--name",
        &ours,
        "--label",
        &format!("test.agent={label}"),
        BUSYBOX_IMAGE,
        "true",
    ]);
    docker(&["create", "--name", &unlabelled, BUSYBOX_IMAGE, "true"]);
    docker(&[
        "create",
        "--name",
        &other_prefix,
        "--label",
        &format!("test.agent={label}"),
        BUSYBOX_IMAGE,
        "true",
    ]);
    let filter = PsFilter::all_with_prefix(&prefix).label("test.agent", &label);
    let listed = engine().ps(&filter).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].name, ours);
    assert_eq!(listed[0].id, id.trim());
    // Created, not started: only listed with `all`.
    let running_only = PsFilter {
        all: false,
        ..filter.clone()
    };
    assert!(engine().ps(&running_only).await.unwrap().is_empty());
    let inspected = engine().ps_inspect(&filter).await.unwrap();
    assert_eq!(inspected.len(), 1);
    assert_eq!(inspected[0].name, ours);
    assert_eq!(inspected[0].labels.get("test.agent"), Some(&label));
}
