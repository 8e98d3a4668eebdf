//! Shared by the benchmarks and the streaming example: realistic pages and a minimal loopback
//! HTTP server (hyper) that answers every request with a fixed or synthesized page.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const ACTIONS: [&str; 5] = [
    "ImportImage",
    "ExportImage",
    "RedeployInstance",
    "ModifyDiskSpec",
    "ArchiveSnapshot",
];

/// The fields of realistic task `n`, as the service renders them (minute precision, an empty
/// FinishedTime while processing).
struct SampleTask {
    action: &'static str,
    status: &'static str,
    created: String,
    finished: String,
    group: u64,
}

fn sample(n: u64) -> SampleTask {
    let processing = n % 9 == 0;
    SampleTask {
        action: ACTIONS[(n % 5) as usize],
        status: if processing { "Processing" } else { "Finished" },
        created: format!("2024-05-{:02}T{:02}:{:02}Z", 1 + n % 28, n % 24, n % 60),
        finished: if processing {
            String::new()
        } else {
            format!(
                "2024-05-{:02}T{:02}:{:02}Z",
                1 + n % 28,
                n % 24,
                (n + 7) % 60
            )
        },
        group: n % 13,
    }
}

/// One realistic task as JSON.
fn task_json(out: &mut String, n: u64) {
    use std::fmt::Write;
    let t = sample(n);
    let _ = write!(
        out,
        r#"{{"TaskId":"t-bp1{n:017}","TaskAction":"{}","TaskStatus":"{}","CreationTime":"{}","FinishedTime":"{}","SupportCancel":"true","ResourceId":"m-bp1{n:017}","TaskGroupId":"tg-{}"}}"#,
        t.action, t.status, t.created, t.finished, t.group
    );
}

/// A JSON page of `count` tasks numbered from `first`.
pub fn page_json(page: u32, page_size: u32, total: u64, first: u64, count: u64) -> Vec<u8> {
    let mut out = String::with_capacity(256 * count as usize + 256);
    out.push_str(&format!(
        r#"{{"RequestId":"6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D","RegionId":"cn-hangzhou","PageNumber":{page},"PageSize":{page_size},"TotalCount":{total},"TaskSet":{{"Task":["#
    ));
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        task_json(&mut out, first + i);
    }
    out.push_str("]}}");
    out.into_bytes()
}

/// The same page as XML.
pub fn page_xml(page: u32, page_size: u32, total: u64, first: u64, count: u64) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::with_capacity(400 * count as usize + 256);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><DescribeTasksResponse><RequestId>6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D</RequestId><RegionId>cn-hangzhou</RegionId><PageNumber>{page}</PageNumber><PageSize>{page_size}</PageSize><TotalCount>{total}</TotalCount><TaskSet>"#
    );
    for n in first..first + count {
        let t = sample(n);
        let _ = write!(
            out,
            "<Task><TaskId>t-bp1{n:017}</TaskId><TaskAction>{}</TaskAction><TaskStatus>{}</TaskStatus><CreationTime>{}</CreationTime><FinishedTime>{}</FinishedTime><SupportCancel>true</SupportCancel><ResourceId>m-bp1{n:017}</ResourceId><TaskGroupId>tg-{}</TaskGroupId></Task>",
            t.action, t.status, t.created, t.finished, t.group
        );
    }
    out.push_str("</TaskSet></DescribeTasksResponse>");
    out.into_bytes()
}

/// What the server answers.
#[derive(Clone)]
pub enum Answer {
    /// The same body for every request.
    Fixed(Bytes),
    /// A JSON page built from the request's PageNumber and PageSize, out of `total` tasks.
    Synthesized { total: u64 },
}

fn query_u64(query: &str, name: &str) -> Option<u64> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.parse().ok()).flatten()
    })
}

fn answer(answer: &Answer, query: &str) -> Bytes {
    match answer {
        Answer::Fixed(body) => body.clone(),
        Answer::Synthesized { total } => {
            let page = query_u64(query, "PageNumber").unwrap_or(1).max(1);
            let size = query_u64(query, "PageSize").unwrap_or(10).clamp(1, 100);
            let first = (page - 1) * size;
            let count = total.saturating_sub(first).min(size);
            Bytes::from(page_json(page as u32, size as u32, *total, first, count))
        }
    }
}

/// A loopback HTTP/1.1 server on its own thread and runtime.
pub struct PageServer {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl PageServer {
    pub fn start(what: Answer) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let what = Arc::new(what);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let what = what.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let body = answer(&what, req.uri().query().unwrap_or(""));
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "application/json;charset=utf-8")
                                    .header(
                                        "x-acs-request-id",
                                        "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D",
                                    )
                                    .body(Full::new(body))
                                    .expect("response"),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            _runtime: runtime,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Peak resident set size of this process in KiB (VmHWM), where /proc is available.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix("VmHWM:")
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    })
}
