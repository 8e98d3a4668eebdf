//! A small command-line client for real accounts.
//!
//! ```text
//! ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... \
//!   cargo run --example describe_tasks -- --region cn-hangzhou --status Finished --all
//! ```
//!
//! Prints one JSON object per task per line. On failure it prints the error (with its Code and
//! RequestId) to stderr and exits non-zero.

use std::process::ExitCode;

use aliyun_ecs_tasks::{Client, DescribeTasksRequest, Error, Format, Task, TaskAction, TaskStatus};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;

const USAGE: &str = "usage: describe_tasks --region REGION [--endpoint URL] [--format json|xml]
       [--task-ids ID,ID] [--action ACTION] [--status Finished|Processing|Failed]
       [--start yyyy-MM-ddTHH:mm:ssZ] [--end yyyy-MM-ddTHH:mm:ssZ]
       [--page N] [--page-size N] [--all]
credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET
and, optionally, ALIBABA_CLOUD_SECURITY_TOKEN";

struct Args {
    endpoint: Option<String>,
    format: Format,
    all: bool,
    request: aliyun_ecs_tasks::DescribeTasksRequestBuilder,
}

fn parse_time(flag: &str, value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{flag}: expected yyyy-MM-ddTHH:mm:ssZ, got {value:?} ({e})"))
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        endpoint: None,
        format: Format::Json,
        all: false,
        request: DescribeTasksRequest::builder(),
    };
    while let Some(flag) = argv.next() {
        if flag == "--all" {
            args.all = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| format!("{flag}: expected a number, got {v:?}"))
        };
        args.request = match flag.as_str() {
            "--region" => args.request.region_id(value),
            "--endpoint" => {
                args.endpoint = Some(value);
                args.request
            }
            "--format" => {
                args.format = match value.to_ascii_lowercase().as_str() {
                    "json" => Format::Json,
                    "xml" => Format::Xml,
                    _ => return Err(format!("--format: expected json or xml, got {value:?}")),
                };
                args.request
            }
            "--task-ids" => args
                .request
                .task_ids(value.split(',').map(str::trim).filter(|s| !s.is_empty())),
            "--action" => args
                .request
                .task_action(value.parse::<TaskAction>().map_err(|e| e.to_string())?),
            "--status" => args
                .request
                .task_status(value.parse::<TaskStatus>().map_err(|e| e.to_string())?),
            "--start" => args.request.start_time(parse_time(&flag, &value)?),
            "--end" => args.request.end_time(parse_time(&flag, &value)?),
            "--page" => args.request.page_number(number(&value)?),
            "--page-size" => args.request.page_size(number(&value)?),
            _ => return Err(format!("unknown option {flag}")),
        };
    }
    Ok(args)
}

fn print_task(task: &Task) {
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    let line = serde_json::json!({
        "TaskId": task.task_id,
        "TaskAction": task.task_action.as_str(),
        "TaskStatus": task.task_status.as_str(),
        "CreationTime": time(task.creation_time),
        "FinishedTime": time(task.finished_time),
        "SupportCancel": task.support_cancel,
    });
    println!("{line}");
}

async fn run(args: Args) -> Result<(), Error> {
    let mut builder = Client::builder().format(args.format);
    if let Some(endpoint) = &args.endpoint {
        // An endpoint typed on the command line is a deliberate choice, plain HTTP included.
        builder = builder
            .endpoint(endpoint)
            .allow_http(endpoint.starts_with("http://"));
    }
    let client = builder.build()?;
    let request = args.request.build()?;
    if args.all {
        let mut tasks = client.describe_tasks_stream(request);
        while let Some(task) = tasks.try_next().await? {
            print_task(&task);
        }
    } else {
        let page = client.describe_tasks(request).await?;
        for task in &page.task_set {
            print_task(task);
        }
        eprintln!(
            "page {} of {} tasks (RequestId {})",
            page.page_number, page.total_count, page.request_id
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(code) = e.code() {
                eprintln!("code: {code}");
            }
            if let Some(id) = e.request_id() {
                eprintln!("request id: {id}");
            }
            if e.is_validation() {
                // The command line asked for something the API does not allow.
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
            ExitCode::FAILURE
        }
    }
}
