//! No secret (AccessKeySecret, SecurityToken) appears in the Debug or Display output of any
//! public type that can hold one, of any error, or of the client.

use aliyun_ecs_tasks::credentials::Secret;
use aliyun_ecs_tasks::signer::{self, CommonParams};
use aliyun_ecs_tasks::{
    Client, Credentials, CredentialsError, EnvironmentProvider, Error, ValidationError,
};

const SECRET: &str = "S3cr3t-AccessKeySecret-Value";
const TOKEN: &str = "CAIS-Security/Token+Value=";

fn assert_clean(label: &str, text: &str) {
    for needle in [
        SECRET.to_owned(),
        TOKEN.to_owned(),
        signer::percent_encode(TOKEN),
        signer::percent_encode(&signer::percent_encode(TOKEN)),
    ] {
        assert!(!text.contains(&needle), "{label} shows a secret: {text}");
    }
}

fn both<T: std::fmt::Debug + std::fmt::Display>(label: &str, value: &T) {
    assert_clean(label, &format!("{value:?}"));
    assert_clean(label, &format!("{value:#?}"));
    assert_clean(label, &format!("{value}"));
}

fn debug<T: std::fmt::Debug>(label: &str, value: &T) {
    assert_clean(label, &format!("{value:?}"));
    assert_clean(label, &format!("{value:#?}"));
}

fn credentials() -> Credentials {
    Credentials::new("LTAI-id", SECRET).with_security_token(TOKEN)
}

#[test]
fn credentials_secrets_and_providers_mask_what_they_hold() {
    debug("Credentials", &credentials());
    both("Secret", &Secret::new(SECRET));
    debug(
        "EnvironmentProvider",
        &EnvironmentProvider::with_env(|name| match name {
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET" => Some(SECRET.into()),
            "ALIBABA_CLOUD_SECURITY_TOKEN" => Some(TOKEN.into()),
            _ => Some("x".into()),
        }),
    );
    let common = CommonParams {
        action: "DescribeTasks",
        version: "2014-05-26",
        format: "JSON",
        access_key_id: "LTAI-id",
        security_token: Some(TOKEN),
        timestamp: "2024-01-01T00:00:00Z",
        nonce: "n",
    };
    debug("CommonParams", &common);
    let signed = signer::sign_rpc("POST", &common, &[], SECRET);
    // The signed query itself must carry the token; its Debug must not.
    assert!(signed.query.contains(&signer::percent_encode(TOKEN)));
    let shown = format!("{signed:?}");
    assert!(!shown.contains(&signer::percent_encode(TOKEN)), "{shown}");
}

#[test]
fn the_client_and_its_builder_mask_credentials() {
    let builder = Client::builder().credentials(credentials());
    debug("ClientBuilder", &builder);
    let client = builder.build().unwrap();
    debug("Client", &client);
}

#[test]
fn errors_built_from_bodies_show_no_secret() {
    use aliyun_ecs_tasks::decode::decode_response;
    let body = r#"{"Code":"InvalidSecurityToken.Malformed","Message":"bad token","RequestId":"R"}"#;
    let err = decode_response(400, body.as_bytes(), None).unwrap_err();
    both("service error", &err);
    let err = decode_response(502, b"<html>bad gateway</html>", None).unwrap_err();
    both("decode error", &err);
    let err: Error = CredentialsError::new("environment", "not set").into();
    both("credentials error", &err);
    let err: Error = ValidationError::new("RegionId", "x", "y").into();
    both("validation error", &err);
}

#[cfg(feature = "emulator")]
#[tokio::test]
async fn errors_from_the_wire_with_sts_credentials_show_no_secret() {
    use aliyun_ecs_tasks::emulator::{Emulator, Fault, Seed};
    use aliyun_ecs_tasks::DescribeTasksRequest;
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .sts_access_key("STS.id", SECRET, TOKEN)
        .start()
        .await
        .unwrap();
    let request = || {
        DescribeTasksRequest::builder()
            .region_id("cn-hangzhou")
            .build()
            .unwrap()
    };
    // A wrong secret: the service echoes its string to sign, which holds the token.
    let wrong = Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials(Credentials::new("STS.id", "wrong").with_security_token(TOKEN))
        .build()
        .unwrap();
    let err = wrong.describe_tasks(request()).await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    both("SignatureDoesNotMatch", &err);
    // Every fault the emulator can inject.
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .allow_http(true)
        .credentials(credentials_for_sts())
        .retry_config(aliyun_ecs_tasks::RetryConfig::disabled())
        .build()
        .unwrap();
    for fault in [
        Fault::Throttle,
        Fault::Status(503),
        Fault::HtmlPage(502),
        Fault::TruncatedBody,
        Fault::ConnectionReset,
    ] {
        emu.push_faults([fault]);
        let err = client.describe_tasks(request()).await.unwrap_err();
        both("fault error", &err);
    }
    debug("Emulator", &emu);
}

#[cfg(feature = "emulator")]
fn credentials_for_sts() -> Credentials {
    Credentials::new("STS.id", SECRET).with_security_token(TOKEN)
}
