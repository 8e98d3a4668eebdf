//! The client over real HTTP against the bundled emulator: both formats, validation before
//! sending, the documented service errors, signature and credential rejections, STS tokens.
#![cfg(feature = "emulator")]

mod common;

use std::collections::HashSet;

use aliyun_ecs_tasks::emulator::Emulator;
use aliyun_ecs_tasks::{
    decode, signer, Client, Credentials, DescribeTasksRequest, Error, Format, TaskAction,
    TaskStatus,
};
use common::*;

fn hz() -> aliyun_ecs_tasks::DescribeTasksRequestBuilder {
    DescribeTasksRequest::builder().region_id("cn-hangzhou")
}

#[tokio::test]
async fn json_and_xml_return_the_same_typed_page() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(25));
    let req = hz().page_size(10).page_number(2).build().unwrap();
    let json = client_for(&emu).describe_tasks(req.clone()).await.unwrap();
    let xml = builder_for(&emu)
        .format(Format::Xml)
        .build()
        .unwrap()
        .describe_tasks(req)
        .await
        .unwrap();
    assert_eq!(json.total_count, 25);
    assert_eq!(json.page_number, 2);
    assert_eq!(json.page_size, 10);
    assert_eq!(json.task_set.len(), 10);
    assert_eq!(json.task_set, xml.task_set);
    assert_eq!(json.tasks()[0].task_id, "t-00010");
    assert!(!json.request_id.is_empty());
    let formats: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| r.params.get("Format").cloned().unwrap_or_default())
        .collect();
    assert_eq!(formats, ["JSON", "XML"]);
}

#[tokio::test]
async fn the_wire_request_is_a_signed_post_with_every_common_parameter() {
    let emu = empty_emulator().await;
    client_for(&emu)
        .describe_tasks(hz().task_ids(["t-1", "t-2"]).build().unwrap())
        .await
        .unwrap();
    let recorded = emu.requests();
    let r = &recorded[0];
    assert_eq!(r.method, "POST");
    let p = &r.params;
    assert_eq!(p["Action"], "DescribeTasks");
    assert_eq!(p["Version"], "2014-05-26");
    assert_eq!(p["Format"], "JSON");
    assert_eq!(p["SignatureMethod"], "HMAC-SHA1");
    assert_eq!(p["SignatureVersion"], "1.0");
    assert_eq!(p["AccessKeyId"], emu.access_key_id());
    assert_eq!(p["TaskIds"], "t-1,t-2");
    assert_eq!(p["RegionId"], "cn-hangzhou");
    assert!(uuid::Uuid::parse_str(&p["SignatureNonce"]).is_ok());
    let ts = &p["Timestamp"];
    assert_eq!(ts.len(), 20, "{ts}");
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{ts}"
    );
    assert!(!p.contains_key("SecurityToken"));
}

#[tokio::test]
async fn filters_reach_the_service() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(60));
    let client = client_for(&emu);
    let page = client
        .describe_tasks(
            hz().task_action(TaskAction::ExportImage)
                .task_status(TaskStatus::Finished)
                .page_size(100)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(page.total_count > 0);
    assert!(
        page.tasks()
            .iter()
            .all(|t| t.task_action == TaskAction::ExportImage
                && t.task_status == TaskStatus::Finished)
    );
    let expected = tasks(60)
        .into_iter()
        .filter(|t| {
            t.task_action == TaskAction::ExportImage && t.task_status == TaskStatus::Finished
        })
        .count();
    assert_eq!(page.total_count as usize, expected);

    let newest = tasks(60)[5].creation_time.unwrap();
    let oldest = tasks(60)[9].creation_time.unwrap();
    let window = client
        .describe_tasks(hz().start_time(oldest).end_time(newest).build().unwrap())
        .await
        .unwrap();
    let ids: Vec<&str> = window.tasks().iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(ids, ["t-00005", "t-00006", "t-00007", "t-00008", "t-00009"]);

    let by_id = client
        .describe_tasks(hz().task_ids(["t-00003", "t-00042"]).build().unwrap())
        .await
        .unwrap();
    assert_eq!(by_id.total_count, 2);
}

#[tokio::test]
async fn invalid_requests_are_refused_before_anything_is_sent() {
    let emu = empty_emulator().await;
    let client = client_for(&emu);
    let too_many: Vec<String> = (0..101).map(|i| format!("t-{i}")).collect();
    let cases = [
        (DescribeTasksRequest::builder(), "RegionId"),
        (
            DescribeTasksRequest::builder().region_id("Hangzhou"),
            "RegionId",
        ),
        (hz().task_ids(too_many), "TaskIds"),
        (hz().task_id("a,b"), "TaskIds"),
        (hz().task_status(TaskStatus::Waiting), "TaskStatus"),
        (
            hz().task_action(TaskAction::Other("Nope".into())),
            "TaskAction",
        ),
        (hz().page_number(0), "PageNumber"),
        (hz().page_size(0), "PageSize"),
        (hz().page_size(101), "PageSize"),
        (
            hz().start_time(chrono::Utc::now())
                .end_time(chrono::Utc::now() - chrono::Duration::hours(1)),
            "StartTime",
        ),
        (
            hz().resource_ids((0..101).map(|i| format!("m-{i}"))),
            "ResourceIds",
        ),
    ];
    for (builder, field) in cases {
        // Through the stream API the error is the first item and nothing is sent either.
        let err = client
            .describe_all_tasks(builder.clone())
            .await
            .unwrap_err();
        assert_eq!(
            err.validation_error().map(|v| v.field()),
            Some(field),
            "{err}"
        );
        let err = builder.build().unwrap_err();
        assert_eq!(err.field(), field);
    }
    assert_eq!(emu.request_count(), 0);
}

/// Signs and sends a raw request with the public signer, as a caller would for another action.
async fn raw_call(emu: &Emulator, extra: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let nonce = uuid::Uuid::new_v4().to_string();
    let ts = signer::format_timestamp(chrono::Utc::now());
    let mut params: Vec<(&str, &str)> = vec![
        ("Action", "DescribeTasks"),
        ("Version", "2014-05-26"),
        ("Format", "JSON"),
        ("AccessKeyId", emu.access_key_id()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", &ts),
        ("SignatureNonce", &nonce),
    ];
    params.extend_from_slice(extra);
    let signed = signer::sign_query("GET", &params, emu.access_key_secret());
    let url = format!("{}/?{}", emu.endpoint(), signed.query);
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn missing_region_is_the_documented_missing_parameter_error() {
    let emu = empty_emulator().await;
    let (status, body) = raw_call(&emu, &[]).await;
    let err = decode::decode_response(status, &body, None).unwrap_err();
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.code(), Some("MissingParameter"));
    assert_eq!(
        err.service_error().unwrap().message,
        "An input parameter \"RegionId\" that is mandatory for processing the request is not supplied."
    );
    assert!(err.request_id().is_some());
    // The public signer also works for a GET with a caller-built query.
    let (status, body) = raw_call(&emu, &[("RegionId", "cn-hangzhou")]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn unknown_region_is_invalid_region_id_not_found_in_both_formats() {
    let emu = empty_emulator().await;
    for format in [Format::Json, Format::Xml] {
        let client = builder_for(&emu).format(format).build().unwrap();
        let err = client
            .describe_tasks(
                DescribeTasksRequest::builder()
                    .region_id("cn-nowhere")
                    .build()
                    .unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("InvalidRegionId.NotFound"), "{format:?}");
        assert_eq!(err.http_status(), Some(400));
        assert_eq!(err.attempts(), 1, "not retried");
        let s = err.service_error().unwrap();
        assert_eq!(s.message, "The specified RegionId does not exist.");
        assert!(s.host_id.is_some());
        let text = err.to_string();
        assert!(text.contains("InvalidRegionId.NotFound"), "{text}");
        assert!(text.contains(err.request_id().unwrap()), "{text}");
    }
}

#[tokio::test]
async fn a_wrong_secret_is_rejected_and_diagnosed_as_the_secret() {
    let emu = empty_emulator().await;
    let client = builder_for(&emu)
        .credentials(Credentials::new(emu.access_key_id(), "not-the-secret"))
        .build()
        .unwrap();
    let err = client
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(err.attempts(), 1);
    let diagnosis = err.service_error().unwrap().diagnosis.clone().unwrap();
    assert!(diagnosis.contains("secret is wrong"), "{diagnosis}");
    assert!(!format!("{err} {err:?}").contains("not-the-secret"));
}

#[tokio::test]
async fn an_unknown_access_key_is_rejected() {
    let emu = empty_emulator().await;
    let client = builder_for(&emu)
        .credentials(Credentials::new("nobody", "whatever"))
        .build()
        .unwrap();
    let err = client
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidAccessKeyId.NotFound"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn sts_credentials_send_the_security_token_and_never_show_it() {
    let token = "CAIS-sts-token-value-+/=";
    let emu = Emulator::builder()
        .seed(aliyun_ecs_tasks::emulator::Seed::Empty)
        .sts_access_key("STS.id", "sts-secret-value", token)
        .start()
        .await
        .unwrap();
    let base = || Client::builder().endpoint(emu.endpoint()).allow_http(true);
    let ok = base()
        .credentials(Credentials::new("STS.id", "sts-secret-value").with_security_token(token))
        .build()
        .unwrap();
    ok.describe_tasks(hz().build().unwrap()).await.unwrap();
    assert_eq!(emu.requests()[0].params["SecurityToken"], token);

    let no_token = base()
        .credentials(Credentials::new("STS.id", "sts-secret-value"))
        .build()
        .unwrap();
    let err = no_token
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap_err();
    assert!(
        err.code().unwrap().starts_with("InvalidSecurityToken"),
        "{err}"
    );

    let wrong_secret = base()
        .credentials(Credentials::new("STS.id", "wrong").with_security_token(token))
        .build()
        .unwrap();
    let err = wrong_secret
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let shown = format!("{err} {err:?} {ok:?} {wrong_secret:?}");
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains(&signer::percent_encode(token)), "{shown}");
    assert!(!shown.contains("sts-secret-value"), "{shown}");
}

#[tokio::test]
async fn credentials_from_an_injected_environment() {
    let emu = empty_emulator().await;
    let (id, secret) = (
        emu.access_key_id().to_owned(),
        emu.access_key_secret().to_owned(),
    );
    let provider = aliyun_ecs_tasks::EnvironmentProvider::with_env(move |name| match name {
        "ALIBABA_CLOUD_ACCESS_KEY_ID" => Some(id.clone()),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some(secret.clone()),
        _ => None,
    });
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials_provider(provider)
        .build()
        .unwrap();
    client.describe_tasks(hz().build().unwrap()).await.unwrap();

    let empty = aliyun_ecs_tasks::EnvironmentProvider::with_env(|_| None);
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials_provider(empty)
        .build()
        .unwrap();
    let err = client
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Credentials(_)), "{err:?}");
    assert_eq!(emu.request_count(), 1, "no request without credentials");
}

#[tokio::test]
async fn every_call_uses_a_fresh_nonce() {
    let emu = empty_emulator().await;
    let client = client_for(&emu);
    for _ in 0..20 {
        client.describe_tasks(hz().build().unwrap()).await.unwrap();
    }
    let nonces: HashSet<String> = emu
        .requests()
        .iter()
        .map(|r| r.params["SignatureNonce"].clone())
        .collect();
    assert_eq!(nonces.len(), 20);
}

#[tokio::test]
async fn clones_share_one_client() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(3));
    let client = client_for(&emu);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.describe_tasks(hz().build().unwrap()).await })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap().total_count, 3);
    }
}

#[tokio::test]
async fn the_user_agent_names_the_crate_and_the_caller() {
    let emu = empty_emulator().await;
    builder_for(&emu)
        .user_agent("my-app/1.2")
        .build()
        .unwrap()
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap();
    let ua = emu.requests()[0].header("user-agent").unwrap().to_owned();
    assert!(ua.starts_with("aliyun-ecs-tasks/"), "{ua}");
    assert!(ua.ends_with(" my-app/1.2"), "{ua}");
}

#[tokio::test]
async fn a_caller_supplied_http_client_is_the_one_used() {
    let emu = empty_emulator().await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-caller-marker", "from-my-client".parse().unwrap());
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    builder_for(&emu)
        .http_client(http)
        .build()
        .unwrap()
        .describe_tasks(hz().build().unwrap())
        .await
        .unwrap();
    assert_eq!(
        emu.requests()[0].header("x-caller-marker"),
        Some("from-my-client")
    );
}

#[test]
fn endpoints_follow_the_documented_rules() {
    use aliyun_ecs_tasks::endpoint::{public_endpoint, vpc_endpoint};
    assert_eq!(
        public_endpoint("cn-hangzhou"),
        "https://ecs.cn-hangzhou.aliyuncs.com"
    );
    assert_eq!(
        vpc_endpoint("cn-hangzhou"),
        "https://ecs-vpc.cn-hangzhou.aliyuncs.com"
    );
    // An explicit http:// endpoint needs allow_http; https:// does not.
    assert!(Client::builder()
        .endpoint("http://127.0.0.1:1")
        .build()
        .is_err());
    assert!(Client::builder()
        .endpoint("https://ecs.example.test")
        .build()
        .is_ok());
}
