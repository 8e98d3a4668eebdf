//! [`DescribeTasksRequest`], its builder, validation and parameter encoding.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::error::ValidationError;
use crate::model::{TaskAction, TaskStatus};
use crate::signer::format_timestamp;

/// The most task ids (and resource ids) one request may name.
pub const MAX_IDS: usize = 100;
/// The largest page size the service accepts.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A validated `DescribeTasks` request. Build one with [`DescribeTasksRequest::builder`].
///
/// ```
/// use aliyun_ecs_tasks::{DescribeTasksRequest, TaskAction, TaskStatus};
///
/// let req = DescribeTasksRequest::builder()
///     .region_id("cn-hangzhou")
///     .task_action(TaskAction::ImportImage)
///     .task_status(TaskStatus::Finished)
///     .page_size(50)
///     .build()?;
/// assert_eq!(req.region_id(), "cn-hangzhou");
/// # Ok::<(), aliyun_ecs_tasks::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeTasksRequest {
    region_id: String,
    task_ids: Vec<String>,
    task_action: Option<TaskAction>,
    task_status: Option<TaskStatus>,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    page_number: Option<u32>,
    page_size: Option<u32>,
    resource_ids: Vec<String>,
    task_group_id: Option<String>,
}

impl DescribeTasksRequest {
    /// A builder; only the region is required.
    pub fn builder() -> DescribeTasksRequestBuilder {
        DescribeTasksRequestBuilder::default()
    }

    /// The region id.
    pub fn region_id(&self) -> &str {
        &self.region_id
    }

    /// The task ids filter (empty when unset).
    pub fn task_ids(&self) -> &[String] {
        &self.task_ids
    }

    /// The action filter.
    pub fn task_action(&self) -> Option<&TaskAction> {
        self.task_action.as_ref()
    }

    /// The status filter.
    pub fn task_status(&self) -> Option<&TaskStatus> {
        self.task_status.as_ref()
    }

    /// The start of the creation-time window.
    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start_time
    }

    /// The end of the creation-time window.
    pub fn end_time(&self) -> Option<DateTime<Utc>> {
        self.end_time
    }

    /// The page number, when set (the service defaults to 1).
    pub fn page_number(&self) -> Option<u32> {
        self.page_number
    }

    /// The page size, when set (the service defaults to 10).
    pub fn page_size(&self) -> Option<u32> {
        self.page_size
    }

    /// The resource ids filter (empty when unset).
    pub fn resource_ids(&self) -> &[String] {
        &self.resource_ids
    }

    /// The task group filter.
    pub fn task_group_id(&self) -> Option<&str> {
        self.task_group_id.as_deref()
    }

    /// A builder holding this request's settings, to derive a changed request.
    pub fn to_builder(&self) -> DescribeTasksRequestBuilder {
        DescribeTasksRequestBuilder {
            region_id: Some(self.region_id.clone()),
            task_ids: self.task_ids.clone(),
            task_action: self.task_action.clone(),
            task_status: self.task_status.clone(),
            start_time: self.start_time,
            end_time: self.end_time,
            page_number: self.page_number,
            page_size: self.page_size,
            resource_ids: self.resource_ids.clone(),
            task_group_id: self.task_group_id.clone(),
        }
    }

    /// The same request for another page (`page_number` is assumed valid: at least 1).
    pub(crate) fn with_page(&self, page_number: u32, page_size: u32) -> Self {
        let mut next = self.clone();
        next.page_number = Some(page_number.max(1));
        next.page_size = Some(page_size.clamp(1, MAX_PAGE_SIZE));
        next
    }

    /// The operation's own parameters (without `Action` and the common parameters), in the
    /// order the reference lists them. Values are not encoded.
    pub fn to_params(&self) -> Vec<(Cow<'static, str>, String)> {
        let mut params: Vec<(Cow<'static, str>, String)> =
            Vec::with_capacity(8 + self.resource_ids.len());
        params.push(("RegionId".into(), self.region_id.clone()));
        if let Some(t) = self.end_time {
            params.push(("EndTime".into(), format_timestamp(t)));
        }
        if let Some(n) = self.page_number {
            params.push(("PageNumber".into(), n.to_string()));
        }
        if let Some(n) = self.page_size {
            params.push(("PageSize".into(), n.to_string()));
        }
        if let Some(t) = self.start_time {
            params.push(("StartTime".into(), format_timestamp(t)));
        }
        if let Some(a) = &self.task_action {
            params.push(("TaskAction".into(), a.as_str().to_owned()));
        }
        if !self.task_ids.is_empty() {
            params.push(("TaskIds".into(), self.task_ids.join(",")));
        }
        if let Some(s) = &self.task_status {
            params.push(("TaskStatus".into(), s.as_str().to_owned()));
        }
        for (i, id) in self.resource_ids.iter().enumerate() {
            params.push((format!("ResourceIds.{}", i + 1).into(), id.clone()));
        }
        if let Some(g) = &self.task_group_id {
            params.push(("TaskGroupId".into(), g.clone()));
        }
        params
    }
}

/// Builds a [`DescribeTasksRequest`]; [`build`](Self::build) validates every field.
#[derive(Debug, Clone, Default)]
pub struct DescribeTasksRequestBuilder {
    region_id: Option<String>,
    task_ids: Vec<String>,
    task_action: Option<TaskAction>,
    task_status: Option<TaskStatus>,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    page_number: Option<u32>,
    page_size: Option<u32>,
    resource_ids: Vec<String>,
    task_group_id: Option<String>,
}

impl DescribeTasksRequestBuilder {
    /// The region, for example `cn-hangzhou` (required).
    pub fn region_id(mut self, region_id: impl Into<String>) -> Self {
        self.region_id = Some(region_id.into());
        self
    }

    /// Adds one task id to the filter (at most 100 in all).
    pub fn task_id(mut self, task_id: impl Into<String>) -> Self {
        self.task_ids.push(task_id.into());
        self
    }

    /// Adds task ids to the filter (at most 100 in all); sent as one comma-separated value.
    pub fn task_ids<I, S>(mut self, task_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.task_ids.extend(task_ids.into_iter().map(Into::into));
        self
    }

    /// Only tasks started by this action (a documented value; `Other` is refused).
    pub fn task_action(mut self, action: TaskAction) -> Self {
        self.task_action = Some(action);
        self
    }

    /// Only tasks in this status: `Finished`, `Processing` or `Failed` (the service ignores any
    /// other status as a filter, so the builder refuses them).
    pub fn task_status(mut self, status: TaskStatus) -> Self {
        self.task_status = Some(status);
        self
    }

    /// Only tasks created at or after this instant (sent with second precision).
    pub fn start_time(mut self, time: DateTime<Utc>) -> Self {
        self.start_time = Some(time);
        self
    }

    /// Only tasks created at or before this instant (sent with second precision).
    pub fn end_time(mut self, time: DateTime<Utc>) -> Self {
        self.end_time = Some(time);
        self
    }

    /// The page to return, from 1 (service default 1).
    pub fn page_number(mut self, page_number: u32) -> Self {
        self.page_number = Some(page_number);
        self
    }

    /// Tasks per page, 1 to 100 (service default 10).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Adds one resource id to the filter (at most 100; sent as `ResourceIds.N`).
    pub fn resource_id(mut self, resource_id: impl Into<String>) -> Self {
        self.resource_ids.push(resource_id.into());
        self
    }

    /// Adds resource ids to the filter (at most 100 in all).
    pub fn resource_ids<I, S>(mut self, resource_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.resource_ids
            .extend(resource_ids.into_iter().map(Into::into));
        self
    }

    /// Only tasks of this task group.
    pub fn task_group_id(mut self, task_group_id: impl Into<String>) -> Self {
        self.task_group_id = Some(task_group_id.into());
        self
    }

    /// Validates every field and returns the request, or the first problem found.
    pub fn build(self) -> Result<DescribeTasksRequest, ValidationError> {
        let region_id = self.region_id.ok_or_else(|| {
            ValidationError::new("RegionId", "", "a region id such as cn-hangzhou (required)")
        })?;
        validate_region_id(&region_id)?;
        validate_ids("TaskIds", &self.task_ids)?;
        validate_ids("ResourceIds", &self.resource_ids)?;
        if let Some(action) = &self.task_action {
            if !action.is_known() {
                return Err(ValidationError::new(
                    "TaskAction",
                    action.as_str(),
                    "one of ImportImage, ExportImage, RedeployInstance, ModifyDiskSpec, ArchiveSnapshot",
                ));
            }
        }
        if let Some(status) = &self.task_status {
            if !status.is_filterable() {
                return Err(ValidationError::new(
                    "TaskStatus",
                    status.as_str(),
                    "one of Finished, Processing, Failed (the service ignores other statuses as a filter)",
                ));
            }
        }
        if let (Some(start), Some(end)) = (self.start_time, self.end_time) {
            if start > end {
                return Err(ValidationError::new(
                    "StartTime",
                    format_timestamp(start),
                    format!("a time not after EndTime {}", format_timestamp(end)),
                ));
            }
        }
        if let Some(n) = self.page_number {
            if n < 1 {
                return Err(ValidationError::new(
                    "PageNumber",
                    n.to_string(),
                    "at least 1",
                ));
            }
        }
        if let Some(n) = self.page_size {
            if !(1..=MAX_PAGE_SIZE).contains(&n) {
                return Err(ValidationError::new("PageSize", n.to_string(), "1 to 100"));
            }
        }
        if let Some(g) = &self.task_group_id {
            if g.is_empty() {
                return Err(ValidationError::new(
                    "TaskGroupId",
                    "",
                    "a non-empty task group id",
                ));
            }
        }
        Ok(DescribeTasksRequest {
            region_id,
            task_ids: self.task_ids,
            task_action: self.task_action,
            task_status: self.task_status,
            start_time: self.start_time,
            end_time: self.end_time,
            page_number: self.page_number,
            page_size: self.page_size,
            resource_ids: self.resource_ids,
            task_group_id: self.task_group_id,
        })
    }
}

/// Checks the shape of a region id: lower-case letters, digits and single inner hyphens, for
/// example `cn-hangzhou` or `ap-southeast-1`.
pub(crate) fn validate_region_id(region_id: &str) -> Result<(), ValidationError> {
    let well_formed = (2..=64).contains(&region_id.len())
        && region_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region_id.as_bytes()[0].is_ascii_lowercase()
        && !region_id.ends_with('-')
        && !region_id.contains("--");
    if well_formed {
        Ok(())
    } else {
        Err(ValidationError::new(
            "RegionId",
            region_id,
            "a region id such as cn-hangzhou (lower-case letters, digits and '-')",
        ))
    }
}

fn validate_ids(field: &'static str, ids: &[String]) -> Result<(), ValidationError> {
    if ids.len() > MAX_IDS {
        return Err(ValidationError::new(
            field,
            format!("{} ids", ids.len()),
            "at most 100 ids",
        ));
    }
    for id in ids {
        if id.is_empty() || id.contains(',') || id.trim() != id {
            return Err(ValidationError::new(
                field,
                id.as_str(),
                "non-empty ids without ',' or surrounding spaces",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn base() -> DescribeTasksRequestBuilder {
        DescribeTasksRequest::builder().region_id("cn-hangzhou")
    }

    #[test]
    fn region_is_required_and_well_formed() {
        let err = DescribeTasksRequest::builder().build().unwrap_err();
        assert_eq!(err.field(), "RegionId");
        assert!(err.to_string().contains("required"));
        for bad in [
            "",
            "CN-HANGZHOU",
            "cn hangzhou",
            "-cn",
            "cn-",
            "cn--x",
            "1cn",
            "cn_hz",
        ] {
            let err = DescribeTasksRequest::builder()
                .region_id(bad)
                .build()
                .unwrap_err();
            assert_eq!(err.field(), "RegionId", "{bad}");
            assert_eq!(err.value(), bad);
        }
        for good in ["cn-hangzhou", "ap-southeast-1", "us-west-1", "eu-central-1"] {
            DescribeTasksRequest::builder()
                .region_id(good)
                .build()
                .unwrap();
        }
    }

    #[test]
    fn task_ids_are_limited_and_clean() {
        let ids: Vec<String> = (0..100).map(|i| format!("t-{i}")).collect();
        base().task_ids(ids.clone()).build().unwrap();
        let err = base().task_ids(ids).task_id("t-x").build().unwrap_err();
        assert_eq!(err.field(), "TaskIds");
        assert_eq!(err.value(), "101 ids");
        assert!(err.to_string().contains("at most 100"));
        for bad in ["", "a,b", " t-1"] {
            let err = base().task_id(bad).build().unwrap_err();
            assert_eq!(err.field(), "TaskIds");
            assert_eq!(err.value(), bad);
        }
    }

    #[test]
    fn resource_ids_are_limited() {
        let ids: Vec<String> = (0..101).map(|i| format!("m-{i}")).collect();
        let err = base().resource_ids(ids).build().unwrap_err();
        assert_eq!(err.field(), "ResourceIds");
    }

    #[test]
    fn status_filter_accepts_only_what_the_service_honours() {
        for s in [
            TaskStatus::Finished,
            TaskStatus::Processing,
            TaskStatus::Failed,
        ] {
            base().task_status(s).build().unwrap();
        }
        for s in [
            TaskStatus::Waiting,
            TaskStatus::Deleted,
            TaskStatus::Paused,
            TaskStatus::Other("Done".into()),
        ] {
            let err = base().task_status(s.clone()).build().unwrap_err();
            assert_eq!(err.field(), "TaskStatus");
            assert_eq!(err.value(), s.as_str());
            assert!(err.allowed().contains("Finished, Processing, Failed"));
        }
    }

    #[test]
    fn action_filter_accepts_documented_values_only() {
        for a in TaskAction::KNOWN {
            base().task_action(a.clone()).build().unwrap();
        }
        let err = base()
            .task_action(TaskAction::Other("Resize".into()))
            .build()
            .unwrap_err();
        assert_eq!(err.field(), "TaskAction");
        assert!(err.allowed().contains("ArchiveSnapshot"));
    }

    #[test]
    fn time_window_must_be_ordered() {
        let a = Utc.with_ymd_and_hms(2015, 11, 23, 15, 10, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2015, 11, 23, 15, 16, 0).unwrap();
        base().start_time(a).end_time(b).build().unwrap();
        base().start_time(a).end_time(a).build().unwrap();
        let err = base().start_time(b).end_time(a).build().unwrap_err();
        assert_eq!(err.field(), "StartTime");
        assert_eq!(err.value(), "2015-11-23T15:16:00Z");
        assert!(err.allowed().contains("2015-11-23T15:10:00Z"));
    }

    #[test]
    fn paging_bounds() {
        let err = base().page_number(0).build().unwrap_err();
        assert_eq!(err.field(), "PageNumber");
        for bad in [0, 101, 1000] {
            let err = base().page_size(bad).build().unwrap_err();
            assert_eq!(err.field(), "PageSize");
            assert_eq!(err.value(), bad.to_string());
            assert_eq!(err.allowed(), "1 to 100");
        }
        base().page_size(1).page_number(1).build().unwrap();
        base().page_size(100).page_number(u32::MAX).build().unwrap();
    }

    #[test]
    fn params_encode_every_field() {
        let a = Utc.with_ymd_and_hms(2015, 11, 23, 15, 10, 0).unwrap();
        let b = Utc.with_ymd_and_hms(2015, 11, 23, 15, 16, 0).unwrap();
        let req = base()
            .task_ids(["t-1", "t-2"])
            .task_action(TaskAction::ImportImage)
            .task_status(TaskStatus::Finished)
            .start_time(a)
            .end_time(b)
            .page_number(2)
            .page_size(50)
            .resource_ids(["m-1", "m-2"])
            .task_group_id("tg-1")
            .build()
            .unwrap();
        let params: Vec<(String, String)> = req
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v))
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("RegionId"), Some("cn-hangzhou"));
        assert_eq!(get("TaskIds"), Some("t-1,t-2"));
        assert_eq!(get("TaskAction"), Some("ImportImage"));
        assert_eq!(get("TaskStatus"), Some("Finished"));
        assert_eq!(get("StartTime"), Some("2015-11-23T15:10:00Z"));
        assert_eq!(get("EndTime"), Some("2015-11-23T15:16:00Z"));
        assert_eq!(get("PageNumber"), Some("2"));
        assert_eq!(get("PageSize"), Some("50"));
        assert_eq!(get("ResourceIds.1"), Some("m-1"));
        assert_eq!(get("ResourceIds.2"), Some("m-2"));
        assert_eq!(get("TaskGroupId"), Some("tg-1"));
        let minimal = base().build().unwrap().to_params();
        assert_eq!(minimal.len(), 1);
    }
}
