//! Where requests go: an explicit endpoint wins; otherwise `https://ecs.<region>.aliyuncs.com`,
//! or `https://ecs-vpc.<region>.aliyuncs.com` when VPC endpoints are chosen.

use crate::error::ValidationError;

/// How the client picks the endpoint for a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EndpointRule {
    /// Every request goes to this base URL (scheme and authority, optional path, no trailing
    /// slash).
    Fixed(String),
    /// The public regional endpoint.
    Public,
    /// The VPC regional endpoint.
    Vpc,
}

impl EndpointRule {
    /// The base URL for `region_id`, without a trailing slash.
    pub(crate) fn base_url(&self, region_id: &str) -> std::borrow::Cow<'_, str> {
        match self {
            EndpointRule::Fixed(url) => std::borrow::Cow::Borrowed(url),
            EndpointRule::Public => format!("https://ecs.{region_id}.aliyuncs.com").into(),
            EndpointRule::Vpc => format!("https://ecs-vpc.{region_id}.aliyuncs.com").into(),
        }
    }
}

/// The public endpoint for a region: `https://ecs.<region>.aliyuncs.com`.
pub fn public_endpoint(region_id: &str) -> String {
    EndpointRule::Public.base_url(region_id).into_owned()
}

/// The VPC endpoint for a region: `https://ecs-vpc.<region>.aliyuncs.com`.
pub fn vpc_endpoint(region_id: &str) -> String {
    EndpointRule::Vpc.base_url(region_id).into_owned()
}

/// Checks and normalises an endpoint override. A bare host (`ecs.cn-hangzhou.aliyuncs.com`)
/// means HTTPS; `http://` is refused unless `allow_http`.
pub(crate) fn parse_endpoint(endpoint: &str, allow_http: bool) -> Result<String, ValidationError> {
    let trimmed = endpoint.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| {
        ValidationError::new(
            "endpoint",
            endpoint,
            format!("a URL such as https://ecs.cn-hangzhou.aliyuncs.com ({e})"),
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(ValidationError::new(
            "endpoint",
            endpoint,
            "an https:// URL (call allow_http(true) to permit plain HTTP, e.g. for the emulator)",
        )),
        _ => {
            return Err(ValidationError::new(
                "endpoint",
                endpoint,
                "an http:// or https:// URL",
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) || url.query().is_some() || url.fragment().is_some()
    {
        return Err(ValidationError::new(
            "endpoint",
            endpoint,
            "a URL with a host and no query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_endpoints() {
        assert_eq!(
            public_endpoint("cn-hangzhou"),
            "https://ecs.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            vpc_endpoint("cn-shanghai"),
            "https://ecs-vpc.cn-shanghai.aliyuncs.com"
        );
    }

    #[test]
    fn overrides_are_checked() {
        assert_eq!(
            parse_endpoint("ecs.cn-hangzhou.aliyuncs.com", false).unwrap(),
            "https://ecs.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            parse_endpoint("https://ecs.aliyuncs.com/", false).unwrap(),
            "https://ecs.aliyuncs.com"
        );
        let e = parse_endpoint("http://127.0.0.1:8080", false).unwrap_err();
        assert_eq!(e.field(), "endpoint");
        assert!(e.allowed().contains("allow_http"));
        assert_eq!(
            parse_endpoint("http://127.0.0.1:8080", true).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(parse_endpoint("ftp://x", true).is_err());
        assert!(parse_endpoint("https://x/?a=b", true).is_err());
        assert!(parse_endpoint("https://", true).is_err());
    }
}
