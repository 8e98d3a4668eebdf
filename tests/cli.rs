//! The `describe_tasks` example CLI against the emulator: one JSON object per task per line,
//! errors on stderr with Code and RequestId and a non-zero exit.
#![cfg(feature = "emulator")]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;

/// The example binary cargo built next to this test (target/<profile>/examples/).
fn cli() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join("examples");
    let path = dir.join(format!("describe_tasks{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

async fn run(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    let path = cli().expect("cargo test builds the describe_tasks example");
    tokio::task::spawn_blocking(move || {
        Command::new(path)
            .args(args)
            .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
            .envs(env)
            .output()
            .expect("runs")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_one_json_object_per_task_and_fails_loudly() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(25));
    let env = vec![
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            emu.access_key_id().to_owned(),
        ),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            emu.access_key_secret().to_owned(),
        ),
    ];
    let args = |extra: &[&str]| {
        let mut v = vec!["--endpoint".to_owned(), emu.endpoint()];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };

    let out = run(
        args(&[
            "--region",
            "cn-hangzhou",
            "--all",
            "--page-size",
            "10",
            "--format",
            "xml",
        ]),
        env.clone(),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 25);
    assert_eq!(lines[0]["TaskId"], "t-00000");
    for key in [
        "TaskAction",
        "TaskStatus",
        "CreationTime",
        "FinishedTime",
        "SupportCancel",
    ] {
        assert!(lines[0].get(key).is_some(), "{key}");
    }

    let out = run(
        args(&["--region", "cn-hangzhou", "--task-ids", "t-00001,t-00002"]),
        env.clone(),
    )
    .await;
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);

    let out = run(args(&["--region", "cn-nowhere"]), env.clone()).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("InvalidRegionId.NotFound"), "{stderr}");
    assert!(stderr.contains("request id:"), "{stderr}");

    let out = run(
        args(&["--region", "cn-hangzhou", "--status", "Waiting"]),
        env.clone(),
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "bad input is a usage error");
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("Finished, Processing"));

    let out = run(args(&["--region", "cn-hangzhou"]), vec![]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("ALIBABA_CLOUD_ACCESS_KEY_ID"));
}

/// The standalone emulator prints its endpoint and key pair; a client pointed at them works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_emulator_prints_what_a_client_needs() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| {
            p.join("examples")
                .join(format!("emulator{}", std::env::consts::EXE_SUFFIX))
        })
        .filter(|p| p.exists())
        .expect("cargo test builds the emulator example");
    let mut child = Command::new(path)
        .args([
            "--port",
            "0",
            "--access-key-id",
            "cli-id",
            "--access-key-secret",
            "cli-secret",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(3)
            .map(|l| l.unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let value = |prefix: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
            .trim()
            .to_owned()
    };
    let endpoint = value("endpoint:");
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    assert_eq!(value("access key id:"), "cli-id");
    assert_eq!(value("access key secret:"), "cli-secret");

    let client = aliyun_ecs_tasks::Client::builder()
        .endpoint(&endpoint)
        .allow_http(true)
        .credentials(aliyun_ecs_tasks::Credentials::new("cli-id", "cli-secret"))
        .build()
        .unwrap();
    let page = client
        .describe_tasks(
            aliyun_ecs_tasks::DescribeTasksRequest::builder()
                .region_id("cn-hangzhou")
                .build()
                .unwrap(),
        )
        .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        page.unwrap().total_count > 100,
        "seeded with hundreds of tasks"
    );
}
