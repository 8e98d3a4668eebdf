//! The emulator over real HTTP: signed requests built by hand (with a signing helper written here,
//! independent of both the crate and the emulator), checked with reqwest.
#![cfg(feature = "emulator")]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aliyun_ecs_tasks::emulator::{Emulator, Fault, ResponseShape, Seed, StatusSchedule};
use aliyun_ecs_tasks::{Task, TaskAction, TaskStatus};
use chrono::{TimeZone, Utc};
use serde_json::Value;

// ---- a tiny, independent RPC v1 signer ------------------------------------------------------

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn canonical(params: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| (enc(k), enc(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!("{method}&{}&{}", enc("/"), enc(&canonical(params)))
}

fn hmac_sha1_base64(key: &str, data: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn the_test_signer_reproduces_the_published_vector() {
    let params: BTreeMap<String, String> = [
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Version", "2014-05-26"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(
        hmac_sha1_base64("testsecret&", &string_to_sign("GET", &params)),
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    );
}

// ---- request helper -------------------------------------------------------------------------

#[derive(Clone)]
struct Req {
    params: BTreeMap<String, String>,
    secret: String,
    sign_as: Option<&'static str>,
    signature: Option<String>,
}

impl Req {
    /// A valid DescribeTasks call in cn-hangzhou, JSON, signed with the emulator's key.
    fn new(em: &Emulator) -> Self {
        let mut params = BTreeMap::new();
        for (k, v) in [
            ("Action", "DescribeTasks"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("RegionId", "cn-hangzhou"),
        ] {
            params.insert(k.to_owned(), v.to_owned());
        }
        params.insert("AccessKeyId".into(), em.access_key_id().to_owned());
        params.insert(
            "Timestamp".into(),
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        );
        params.insert("SignatureNonce".into(), uuid::Uuid::new_v4().to_string());
        Self {
            params,
            secret: em.access_key_secret().to_owned(),
            sign_as: None,
            signature: None,
        }
    }

    fn set(mut self, k: &str, v: &str) -> Self {
        self.params.insert(k.to_owned(), v.to_owned());
        self
    }

    fn without(mut self, k: &str) -> Self {
        self.params.remove(k);
        self
    }

    fn secret(mut self, s: &str) -> Self {
        self.secret = s.to_owned();
        self
    }

    /// The signed parameters for `method`.
    fn signed(&self, method: &str) -> BTreeMap<String, String> {
        let mut params = self.params.clone();
        let signature = self.signature.clone().unwrap_or_else(|| {
            let to_sign = string_to_sign(self.sign_as.unwrap_or(method), &params);
            hmac_sha1_base64(&format!("{}&", self.secret), &to_sign)
        });
        params.insert("Signature".into(), signature);
        params
    }

    fn encode(params: &BTreeMap<String, String>) -> String {
        params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn url(&self, em: &Emulator) -> String {
        format!("{}/?{}", em.endpoint(), Self::encode(&self.signed("GET")))
    }

    async fn get(&self, em: &Emulator) -> reqwest::Response {
        client().get(self.url(em)).send().await.unwrap()
    }

    async fn post_form(&self, em: &Emulator) -> reqwest::Response {
        client()
            .post(format!("{}/", em.endpoint()))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(Self::encode(&self.signed("POST")))
            .send()
            .await
            .unwrap()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    (status, value)
}

/// Sends the request and checks the error Code (and HTTP status); returns the envelope.
async fn expect_error(req: &Req, em: &Emulator, status: u16, code: &str) -> Value {
    let (got, body) = json(req.get(em).await).await;
    assert_eq!(
        (got, body["Code"].as_str().unwrap_or("")),
        (status, code),
        "{body}"
    );
    body
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

fn task_ids(body: &Value) -> Vec<String> {
    body["TaskSet"]["Task"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["TaskId"].as_str().unwrap().to_owned())
        .collect()
}

async fn empty_emulator() -> Emulator {
    Emulator::builder().seed(Seed::Empty).start().await.unwrap()
}

// ---- success bodies -------------------------------------------------------------------------

#[tokio::test]
async fn json_success_has_the_service_shape_and_headers() {
    let em = Emulator::start().await.unwrap();
    let resp = Req::new(&em).set("PageSize", "5").get(&em).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type"),
        Some("application/json;charset=utf-8")
    );
    let request_id = header(&resp, "x-acs-request-id").unwrap().to_owned();
    let date = header(&resp, "date").unwrap().to_owned();
    let date = chrono::DateTime::parse_from_rfc2822(&date).unwrap();
    assert!((Utc::now() - date.with_timezone(&Utc)).num_seconds().abs() < 5);
    let (_, body) = json(resp).await;
    assert_eq!(body["RequestId"], request_id.as_str());
    assert_eq!(request_id, request_id.to_ascii_uppercase());
    assert_eq!(body["RegionId"], "cn-hangzhou");
    assert_eq!(body["PageNumber"], 1);
    assert_eq!(body["PageSize"], 5);
    assert_eq!(body["TotalCount"], 320);
    let tasks = body["TaskSet"]["Task"].as_array().unwrap();
    assert_eq!(tasks.len(), 5);
    let created: Vec<&str> = tasks
        .iter()
        .map(|t| t["CreationTime"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    for t in tasks {
        let created = t["CreationTime"].as_str().unwrap();
        assert_eq!(created.len(), 17, "minute precision: {created}");
        assert!(chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%MZ").is_ok());
        assert!(t["TaskId"].as_str().unwrap().starts_with("t-"));
        assert!(matches!(
            t["SupportCancel"].as_str(),
            Some("true" | "false")
        ));
        assert!(t["FinishedTime"].is_string());
    }
}

#[tokio::test]
async fn xml_is_the_default_when_format_is_absent() {
    let em = Emulator::start().await.unwrap();
    for req in [
        Req::new(&em).without("Format"),
        Req::new(&em).set("Format", "xml"),
    ] {
        let resp = req.set("PageSize", "2").get(&em).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            header(&resp, "content-type"),
            Some("text/xml;charset=utf-8")
        );
        let id = header(&resp, "x-acs-request-id").unwrap().to_owned();
        let body = resp.text().await.unwrap();
        assert!(
            body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeTasksResponse>"),
            "{body}"
        );
        assert!(body.contains(&format!("<RequestId>{id}</RequestId>")));
        assert!(body.contains("<TotalCount>320</TotalCount>"));
        assert!(body.contains("<PageSize>2</PageSize>"));
        assert_eq!(body.matches("<Task>").count(), 2);
    }
    // Errors follow the format too.
    let resp = Req::new(&em)
        .without("Format")
        .set("RegionId", "xx-nowhere")
        .get(&em)
        .await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>"),
        "{body}"
    );
    assert!(body.contains("<Code>InvalidRegionId.NotFound</Code>"));
    assert!(body.contains("<HostId>ecs.xx-nowhere.aliyuncs.com</HostId>"));
}

#[tokio::test]
async fn reference_example_shape_wraps_the_task_set_in_an_array() {
    let em = Emulator::builder()
        .response_shape(ResponseShape::ReferenceExample)
        .start()
        .await
        .unwrap();
    let (status, body) = json(Req::new(&em).set("PageSize", "3").get(&em).await).await;
    assert_eq!(status, 200);
    let tasks = body["TaskSet"][0]["Task"].as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    assert!(tasks.iter().all(|t| t["SupportCancel"].is_boolean()));
}

#[tokio::test]
async fn filters_and_pagination_over_the_wire() {
    let em = empty_emulator().await;
    let base = Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap();
    em.add_tasks(
        "cn-hangzhou",
        (0..12).map(|i| {
            let status = match i % 4 {
                0 => TaskStatus::Processing,
                1 => TaskStatus::Failed,
                2 => TaskStatus::Waiting,
                _ => TaskStatus::Finished,
            };
            let action = if i % 2 == 0 {
                TaskAction::ImportImage
            } else {
                TaskAction::ExportImage
            };
            Task::new(format!("t-{i:02}"), action, status)
                .with_creation_time(base + chrono::Duration::minutes(i))
                .with_resource_id(format!("m-{i}"))
        }),
    );
    assert_eq!(em.task_count("cn-hangzhou"), 12);

    let (_, b) = json(
        Req::new(&em)
            .set("TaskIds", "t-01, t-05,t-99")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(task_ids(&b), ["t-05", "t-01"]);
    assert_eq!(b["TotalCount"], 2);

    let (_, b) = json(Req::new(&em).set("TaskStatus", "Processing").get(&em).await).await;
    assert_eq!(b["TotalCount"], 3);
    // Waiting is not a filter the service honours: ignored.
    let (_, b) = json(Req::new(&em).set("TaskStatus", "Waiting").get(&em).await).await;
    assert_eq!(b["TotalCount"], 12);

    let (_, b) = json(
        Req::new(&em)
            .set("TaskAction", "IMPORT_IMAGE")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(b["TotalCount"], 6);
    let (_, b) = json(
        Req::new(&em)
            .set("TaskAction", "NoSuchAction")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(b["TotalCount"], 0);

    let (_, b) = json(
        Req::new(&em)
            .set("StartTime", "2024-03-01T10:03:00Z")
            .set("EndTime", "2024-03-01T10:05Z")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(task_ids(&b), ["t-05", "t-04", "t-03"]);

    let (_, b) = json(
        Req::new(&em)
            .set("ResourceIds.1", "m-7")
            .set("ResourceIds.2", "m-8")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(task_ids(&b), ["t-08", "t-07"]);

    let (_, b) = json(
        Req::new(&em)
            .set("PageSize", "5")
            .set("PageNumber", "3")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(task_ids(&b), ["t-01", "t-00"]);
    let (_, b) = json(
        Req::new(&em)
            .set("PageSize", "5")
            .set("PageNumber", "4")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(b["TotalCount"], 12);
    assert_eq!(b["TaskSet"], serde_json::json!({"Task": []}));

    // FinishedTime is "" while the task runs.
    let (_, b) = json(Req::new(&em).set("TaskIds", "t-00").get(&em).await).await;
    assert_eq!(b["TaskSet"]["Task"][0]["FinishedTime"], "");
}

#[tokio::test]
async fn status_schedule_advances_with_polls() {
    let em = empty_emulator().await;
    em.add_task_with_schedule(
        "cn-beijing",
        Task::new("t-sched", TaskAction::ImportImage, TaskStatus::Waiting)
            .with_creation_time(Utc::now()),
        StatusSchedule::new()
            .then(TaskStatus::Processing, 1)
            .then(TaskStatus::Finished, 2),
    );
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (_, b) = json(Req::new(&em).set("RegionId", "cn-beijing").get(&em).await).await;
        let task = &b["TaskSet"]["Task"][0];
        seen.push((
            task["TaskStatus"].as_str().unwrap().to_owned(),
            task["FinishedTime"].as_str().unwrap().is_empty(),
        ));
    }
    let expect = [
        ("Waiting", true),
        ("Processing", true),
        ("Processing", true),
        ("Finished", false),
        ("Finished", false),
    ];
    let seen: Vec<(&str, bool)> = seen.iter().map(|(s, e)| (s.as_str(), *e)).collect();
    assert_eq!(seen, expect);
    assert!(em.set_task_status("t-sched", TaskStatus::Failed));
    assert_eq!(em.task("t-sched").unwrap().task_status, TaskStatus::Failed);
}

// ---- errors ---------------------------------------------------------------------------------

#[tokio::test]
async fn missing_authentication_parameters() {
    let em = Emulator::start().await.unwrap();
    for name in ["AccessKeyId", "Timestamp", "SignatureNonce"] {
        let body = expect_error(&Req::new(&em).without(name), &em, 400, "MissingParameter").await;
        assert_eq!(
            body["Message"],
            format!("An input parameter \"{name}\" that is mandatory for processing the request is not supplied.")
        );
    }
    // No Signature at all.
    let url = format!("{}/?{}", em.endpoint(), Req::encode(&Req::new(&em).params));
    let (status, body) = json(client().get(url).send().await.unwrap()).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "MissingParameter")
    );
    assert!(body["Message"].as_str().unwrap().contains("\"Signature\""));
    // The envelope carries everything.
    assert!(body["RequestId"].as_str().unwrap().len() == 36);
    assert_eq!(body["HostId"], "ecs.cn-hangzhou.aliyuncs.com");
    assert_eq!(
        body["Recommend"],
        "https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ecs"
    );
}

#[tokio::test]
async fn timestamp_format_and_window() {
    let em = Emulator::start().await.unwrap();
    for bad in [
        "2024-01-01 00:00:00",
        "2024-01-01T00:00:00.000Z",
        "yesterday",
    ] {
        let body = expect_error(
            &Req::new(&em).set("Timestamp", bad),
            &em,
            400,
            "InvalidTimeStamp.Format",
        )
        .await;
        assert_eq!(
            body["Message"],
            "The specified parameter \"Timestamp\" is not valid."
        );
    }
    let old = (Utc::now() - chrono::Duration::minutes(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let body = expect_error(
        &Req::new(&em).set("Timestamp", &old),
        &em,
        400,
        "InvalidTimeStamp.Expired",
    )
    .await;
    assert_eq!(
        body["Message"],
        "Specified time stamp or date value is expired."
    );
}

#[tokio::test]
async fn clock_offset_expires_fresh_timestamps_and_shows_in_date() {
    let em = Emulator::start().await.unwrap();
    em.set_clock_offset(chrono::Duration::hours(1));
    let resp = Req::new(&em).get(&em).await;
    let date = chrono::DateTime::parse_from_rfc2822(header(&resp, "date").unwrap()).unwrap();
    let ahead = date.with_timezone(&Utc) - Utc::now();
    assert!(
        (ahead - chrono::Duration::hours(1)).num_seconds().abs() < 5,
        "{ahead}"
    );
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "InvalidTimeStamp.Expired")
    );
    // A client that corrects for the skew gets through.
    let skewed = em.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (status, _) = json(Req::new(&em).set("Timestamp", &skewed).get(&em).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_access_key_and_bad_signature() {
    let em = Emulator::start().await.unwrap();
    let body = expect_error(
        &Req::new(&em).set("AccessKeyId", "nobody"),
        &em,
        404,
        "InvalidAccessKeyId.NotFound",
    )
    .await;
    assert_eq!(body["Message"], "Specified access key is not found.");

    let req = Req::new(&em)
        .secret("wrong-secret")
        .set("TaskIds", "t-a b*c~");
    let body = expect_error(&req, &em, 400, "SignatureDoesNotMatch").await;
    let expected = format!(
        "Specified signature is not matched with our calculation. server string to sign is:{}",
        string_to_sign("GET", &req.params)
    );
    assert_eq!(body["Message"], expected.as_str());
    assert!(
        expected.contains("t-a%2520b%252Ac~"),
        "space is %20, * is %2A, ~ is kept: {expected}"
    );
}

#[tokio::test]
async fn unicode_and_reserved_characters_are_signed_per_rfc3986() {
    let em = empty_emulator().await;
    em.add_task(
        "cn-hangzhou",
        Task::new(
            "t-\u{4e2d}文 *~+",
            TaskAction::ImportImage,
            TaskStatus::Finished,
        ),
    );
    let (status, body) = json(
        Req::new(&em)
            .set("TaskIds", "t-\u{4e2d}文 *~+")
            .get(&em)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(task_ids(&body), ["t-\u{4e2d}文 *~+"]);
}

#[tokio::test]
async fn sts_keys_require_their_token_and_plain_keys_refuse_one() {
    let em = Emulator::builder()
        .sts_access_key("sts-id", "sts-secret", "token-123")
        .access_key("plain-id", "plain-secret")
        .start()
        .await
        .unwrap();
    assert_eq!(em.security_token(), Some("token-123"));
    let sts = Req::new(&em);
    assert_eq!(sts.params["AccessKeyId"], "sts-id");
    for req in [sts.clone(), sts.clone().set("SecurityToken", "other")] {
        let body = expect_error(&req, &em, 400, "InvalidSecurityToken.Mismatch").await;
        assert_eq!(body["Message"], "Specified SecurityToken is invalid.");
    }
    let (status, _) = json(sts.set("SecurityToken", "token-123").get(&em).await).await;
    assert_eq!(status, 200);

    let plain = Req::new(&em)
        .set("AccessKeyId", "plain-id")
        .secret("plain-secret");
    let (status, _) = json(plain.clone().get(&em).await).await;
    assert_eq!(status, 200);
    expect_error(
        &plain.set("SecurityToken", "token-123"),
        &em,
        400,
        "InvalidSecurityToken.Mismatch",
    )
    .await;
}

#[tokio::test]
async fn reused_nonce_is_refused() {
    let em = Emulator::start().await.unwrap();
    let url = Req::new(&em).url(&em);
    let first = client().get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let (status, body) = json(client().get(&url).send().await.unwrap()).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "SignatureNonceUsed")
    );
    assert_eq!(
        body["Message"],
        "Specified signature nonce was used already."
    );
    let outcomes: Vec<String> = em.requests().into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["ok", "SignatureNonceUsed"]);
}

#[tokio::test]
async fn action_version_and_region_checks() {
    let em = Emulator::start().await.unwrap();
    let body = expect_error(
        &Req::new(&em).set("Action", "DescribeRegions"),
        &em,
        404,
        "InvalidAction.NotFound",
    )
    .await;
    assert_eq!(
        body["Message"],
        "Specified api is not found, please check your url and method."
    );
    expect_error(
        &Req::new(&em).without("Action"),
        &em,
        400,
        "MissingParameter",
    )
    .await;
    expect_error(
        &Req::new(&em).set("Version", "2016-03-14"),
        &em,
        400,
        "InvalidVersion",
    )
    .await;

    let body = expect_error(
        &Req::new(&em).without("RegionId"),
        &em,
        400,
        "MissingParameter",
    )
    .await;
    assert_eq!(
        body["Message"],
        "An input parameter \"RegionId\" that is mandatory for processing the request is not supplied."
    );
    assert_eq!(body["HostId"], "ecs.aliyuncs.com");
    let body = expect_error(
        &Req::new(&em).set("RegionId", "cn-nowhere"),
        &em,
        400,
        "InvalidRegionId.NotFound",
    )
    .await;
    assert_eq!(body["Message"], "The specified RegionId does not exist.");
    // A region without tasks is fine.
    let (status, body) = json(Req::new(&em).set("RegionId", "eu-central-1").get(&em).await).await;
    assert_eq!((status, body["TotalCount"].as_u64()), (200, Some(0)));
}

#[tokio::test]
async fn parameter_validation() {
    let em = Emulator::start().await.unwrap();
    for (name, value) in [
        ("PageSize", "0"),
        ("PageSize", "101"),
        ("PageSize", "x"),
        ("PageNumber", "0"),
        ("StartTime", "2024-01-01"),
        ("EndTime", "tomorrow"),
    ] {
        let body = expect_error(
            &Req::new(&em).set(name, value),
            &em,
            400,
            "InvalidParameter",
        )
        .await;
        assert!(body["Message"].as_str().unwrap().contains(name), "{body}");
    }
    let many = (0..101)
        .map(|i| format!("t-{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let body = expect_error(
        &Req::new(&em).set("TaskIds", &many),
        &em,
        400,
        "InvalidParameter",
    )
    .await;
    assert!(body["Message"].as_str().unwrap().contains("TaskIds"));
    let (status, _) = json(Req::new(&em).set("PageSize", "100").get(&em).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn garbage_queries_get_answers_not_crashes() {
    let em = Emulator::start().await.unwrap();
    let c = client();
    for query in [
        "%zz",
        "%",
        "a=%FF%FE&Format=JSON",
        "&&==&",
        "Format=JSON&%C3=%",
    ] {
        let resp = c
            .get(format!("{}/?{query}", em.endpoint()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{query}");
    }
    let (status, body) = json(
        c.get(format!("{}/?a=%FF&Format=JSON", em.endpoint()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "InvalidParameter")
    );
    // Still serving.
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
    let resp = c.put(em.endpoint()).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}

// ---- form bodies ----------------------------------------------------------------------------

#[tokio::test]
async fn form_body_post_is_accepted_and_merged_with_the_query() {
    let em = Emulator::start().await.unwrap();
    let req = Req::new(&em).set("PageSize", "3");
    let (status, body) = json(req.post_form(&em).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PageSize"], 3);

    // Split between the query string and the body, signed as POST over the union.
    let signed = Req::new(&em).set("PageSize", "4").signed("POST");
    let (in_query, in_body): (BTreeMap<_, _>, BTreeMap<_, _>) = signed
        .into_iter()
        .partition(|(k, _)| k.starts_with('S') || k == "Action");
    let resp = client()
        .post(format!("{}/?{}", em.endpoint(), Req::encode(&in_query)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Req::encode(&in_body))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["PageSize"], 4);

    // A POST signed as if it were a GET does not match.
    let mut wrong = Req::new(&em);
    wrong.sign_as = Some("GET");
    let (status, body) = json(wrong.post_form(&em).await).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "SignatureDoesNotMatch")
    );
    assert!(body["Message"]
        .as_str()
        .unwrap()
        .ends_with(&string_to_sign("POST", &wrong.params)));

    let recorded = em.requests();
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].param("PageSize"), Some("3"));
    assert!(recorded[0]
        .header("content-type")
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    assert!(recorded[0]
        .headers
        .iter()
        .all(|(n, _)| n == &n.to_ascii_lowercase()));
}

// ---- faults ---------------------------------------------------------------------------------

#[tokio::test]
async fn throttle_faults_then_success() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::Throttle, Fault::Throttle]);
    for _ in 0..2 {
        let (status, body) = json(Req::new(&em).get(&em).await).await;
        assert_eq!(
            (status, body["Code"].as_str().unwrap()),
            (400, "Throttling.User")
        );
        assert_eq!(
            body["Message"],
            "Request was denied due to user flow control."
        );
    }
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
    assert_eq!(em.pending_faults(), 0);
    let outcomes: Vec<String> = em.requests().into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["fault:throttle", "fault:throttle", "ok"]);
    assert_eq!(em.request_count(), 3);
}

#[tokio::test]
async fn a_throttled_request_used_its_nonce() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::Throttle]);
    let url = Req::new(&em).url(&em);
    assert_eq!(client().get(&url).send().await.unwrap().status(), 400);
    let (_, body) = json(client().get(&url).send().await.unwrap()).await;
    assert_eq!(body["Code"], "SignatureNonceUsed");
}

#[tokio::test]
async fn status_service_error_and_raw_body_faults() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([
        Fault::Status(503),
        Fault::Status(500),
        Fault::service_error(403, "Forbidden.RAM", "User not authorized & <denied>"),
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: b"{not json".to_vec(),
        },
    ]);
    let resp = Req::new(&em).get(&em).await;
    assert!(header(&resp, "x-acs-request-id").is_some());
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (503, "ServiceUnavailable")
    );
    let (status, body) = json(Req::new(&em).get(&em).await).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (500, "InternalError")
    );
    let resp = Req::new(&em).without("Format").get(&em).await;
    assert_eq!(resp.status(), 403);
    let xml = resp.text().await.unwrap();
    assert!(
        xml.contains(
            "<Code>Forbidden.RAM</Code><Message>User not authorized &amp; &lt;denied&gt;</Message>"
        ),
        "{xml}"
    );
    let resp = Req::new(&em).get(&em).await;
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "x-acs-request-id").is_some());
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"{not json");
}

#[tokio::test]
async fn html_page_fault() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::HtmlPage(502)]);
    let resp = Req::new(&em).get(&em).await;
    assert_eq!(resp.status(), 502);
    assert_eq!(header(&resp, "content-type"), Some("text/html"));
    assert!(header(&resp, "x-acs-request-id").is_none());
    assert!(header(&resp, "date").is_some());
    let body = resp.text().await.unwrap();
    assert!(body.contains("<title>502 Bad Gateway</title>"), "{body}");
}

#[tokio::test]
async fn connection_reset_fault_breaks_only_that_request() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::ConnectionReset]);
    let err = client()
        .get(Req::new(&em).url(&em))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
    assert_eq!(em.requests()[0].outcome, "fault:connection-reset");
}

#[tokio::test]
async fn rate_limit_fault_carries_headers() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::RateLimit { time_left_ms: 1500 }]);
    let before = Utc::now().timestamp_millis();
    let resp = Req::new(&em).get(&em).await;
    assert_eq!(resp.status(), 400);
    for name in ["x-ratelimit-user-api", "x-ratelimit-user"] {
        let value = header(&resp, name).unwrap();
        let fields: BTreeMap<&str, &str> =
            value.split(',').filter_map(|f| f.split_once(':')).collect();
        assert_eq!(fields["Limit"], "100");
        assert_eq!(fields["Remain"], "0");
        assert_eq!(fields["TimeLeft"], "1500");
        let reset: i64 = fields["Reset"].parse().unwrap();
        assert!(reset >= before + 1500 && reset < before + 6500, "{value}");
    }
    let (_, body) = json(resp).await;
    assert_eq!(body["Code"], "Throttling.User");
}

#[tokio::test]
async fn truncated_and_incomplete_body_faults() {
    let em = Emulator::start().await.unwrap();
    em.push_faults([Fault::TruncatedBody, Fault::IncompleteBody]);
    let resp = Req::new(&em).get(&em).await;
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    assert!(body.starts_with(b"{\"RequestId\""));
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    let resp = Req::new(&em).get(&em).await;
    assert_eq!(resp.status(), 200);
    let declared: usize = header(&resp, "content-length").unwrap().parse().unwrap();
    assert!(declared > 0);
    assert!(resp.bytes().await.is_err(), "the body must break off");
    let outcomes: Vec<String> = em.requests().into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["fault:truncated-body", "fault:incomplete-body"]);
}

#[tokio::test]
async fn latency_and_delay_are_applied() {
    let em = Emulator::builder()
        .latency(Duration::from_millis(120))
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(120));

    em.set_latency(Duration::ZERO);
    em.push_faults([Fault::Delay(Duration::from_millis(80))]);
    let started = Instant::now();
    assert_eq!(
        Req::new(&em).get(&em).await.status(),
        200,
        "a delay then normal handling"
    );
    assert!(started.elapsed() >= Duration::from_millis(80));
}

#[tokio::test]
async fn throttle_ratio_applies_to_valid_requests() {
    let em = Emulator::start().await.unwrap();
    em.set_throttle_ratio(1.0);
    let (status, body) = json(Req::new(&em).get(&em).await).await;
    assert_eq!(
        (status, body["Code"].as_str().unwrap()),
        (400, "Throttling.User")
    );
    // Authentication comes first.
    expect_error(
        &Req::new(&em).secret("nope"),
        &em,
        400,
        "SignatureDoesNotMatch",
    )
    .await;
    em.set_throttle_ratio(0.0);
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
}

#[tokio::test]
async fn shutdown_releases_the_port() {
    let em = Emulator::start().await.unwrap();
    let addr = em.addr();
    em.shutdown().await;
    let again = Emulator::builder()
        .port(addr.port())
        .seed(Seed::Empty)
        .start()
        .await
        .unwrap();
    assert_eq!(again.addr(), addr);
}

#[tokio::test]
async fn extreme_settings_never_panic() {
    let em = Emulator::builder()
        .timestamp_tolerance(Duration::MAX)
        .start()
        .await
        .unwrap();
    let ancient = Req::new(&em).set("Timestamp", "1970-01-01T00:00:00Z");
    assert_eq!(ancient.get(&em).await.status(), 200);
    for offset in [chrono::TimeDelta::MAX, chrono::TimeDelta::MIN] {
        em.set_clock_offset(offset);
        let resp = Req::new(&em).get(&em).await;
        assert!(header(&resp, "date").is_some());
        assert_eq!(resp.status(), 400);
    }
    em.set_clock_offset(chrono::TimeDelta::zero());
    em.set_throttle_ratio(f64::NAN);
    assert_eq!(Req::new(&em).get(&em).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_on_kept_alive_connections() {
    let em = Emulator::builder()
        .max_recorded_requests(64)
        .start()
        .await
        .unwrap();
    em.set_throttle_ratio(0.5);
    let shared_client = reqwest::Client::builder().no_proxy().build().unwrap();
    let calls = (0..100).map(|_| {
        let url = Req::new(&em).url(&em);
        let c = shared_client.clone();
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(calls).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let throttled = statuses.iter().filter(|s| **s == 400).count();
    assert_eq!(ok + throttled, 100);
    assert!(ok > 0 && throttled > 0, "{ok} ok, {throttled} throttled");
    assert_eq!(em.request_count(), 100);
    let recorded = em.requests();
    assert_eq!(recorded.len(), 64, "only the most recent are kept");
    assert!(recorded
        .iter()
        .all(|r| r.outcome == "ok" || r.outcome == "Throttling.User"));
}
