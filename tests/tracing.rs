//! With the `tracing` feature, each call is a span with action, region and attempt, each attempt
//! an event with RequestId, status and latency, and no secret ever appears.
#![cfg(all(feature = "tracing", feature = "emulator"))]

use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aliyun_ecs_tasks::emulator::{Emulator, Fault, Seed};
use aliyun_ecs_tasks::{signer, Client, Credentials, DescribeTasksRequest, RetryConfig};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use tracing_core::span::Current;

/// Records every span and event as one line of `name field=value ...`.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
    /// Span metadata by id, and the stack of entered spans (so `Span::current()` works).
    spans: Arc<Mutex<Vec<&'static Metadata<'static>>>>,
    entered: Arc<Mutex<Vec<u64>>>,
}

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut line = format!("span {}", attrs.metadata().name());
        attrs.record(&mut Line(&mut line));
        self.lines.lock().unwrap().push(line);
        self.spans.lock().unwrap().push(attrs.metadata());
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = "record".to_owned();
        values.record(&mut Line(&mut line));
        self.lines.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = "event".to_owned();
        event.record(&mut Line(&mut line));
        self.lines.lock().unwrap().push(line);
    }
    fn enter(&self, id: &Id) {
        self.entered.lock().unwrap().push(id.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
    fn current_span(&self) -> Current {
        let entered = self.entered.lock().unwrap();
        match entered.last() {
            Some(&id) => {
                let meta = self.spans.lock().unwrap()[(id - 1) as usize];
                Current::new(Id::from_u64(id), meta)
            }
            None => Current::none(),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn spans_carry_action_region_attempt_and_request_id_but_no_secret() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let secret = "TracingSecretValue";
    let token = "TracingToken/+=";
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .sts_access_key("STS.trace", secret, token)
        .start()
        .await
        .unwrap();
    emu.push_faults([Fault::Throttle]);
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials(Credentials::new("STS.trace", secret).with_security_token(token))
        .retry_config(
            RetryConfig::default().with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let page = client
        .describe_tasks(
            DescribeTasksRequest::builder()
                .region_id("cn-hangzhou")
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    let lines = capture.lines.lock().unwrap().clone();
    let all = lines.join("\n");
    assert!(
        all.contains("span ecs_call action=\"DescribeTasks\" region=\"cn-hangzhou\""),
        "{all}"
    );
    assert!(all.contains("record attempt=2"), "{all}");
    assert!(all.contains("outcome=\"Throttling.User\""), "{all}");
    assert!(
        all.contains(&format!("request_id=\"{}\"", page.request_id)),
        "{all}"
    );
    assert!(all.contains("latency_ms="), "{all}");
    for needle in [
        secret.to_owned(),
        token.to_owned(),
        signer::percent_encode(token),
        "Signature".to_owned(),
    ] {
        assert!(!all.contains(&needle), "{needle} in {all}");
    }
}
