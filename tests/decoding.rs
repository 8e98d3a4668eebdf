//! Decoding: every shape the service and its documentation produce decodes into one model, and
//! everything else becomes a typed error.

use aliyun_ecs_tasks::decode::{decode_error_envelope, decode_json, decode_response, decode_xml};
use aliyun_ecs_tasks::{DescribeTasksResponse, Error, TaskAction, TaskStatus};
use chrono::{TimeZone, Utc};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ok(name: &str) -> DescribeTasksResponse {
    decode_response(200, &fixture(name), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn reference_json_example_with_taskset_array_decodes() {
    let r = ok("reference_example.json");
    assert_eq!(r.request_id, "F746C690-D9EA-4F87-AF31-8E1910FAB541");
    assert_eq!(r.region_id.as_deref(), Some("cn-hangzhou"));
    assert_eq!((r.page_number, r.page_size, r.total_count), (1, 2, 2));
    assert_eq!(r.task_set.len(), 2);
    let t = &r.tasks()[0];
    assert_eq!(t.task_id, "t-bp10e8or********74o8X");
    assert_eq!(t.task_action, TaskAction::ImportImage);
    assert_eq!(t.task_status, TaskStatus::Finished);
    assert_eq!(t.support_cancel, Some(true));
    assert_eq!(
        t.creation_time,
        Some(Utc.with_ymd_and_hms(2015, 11, 24, 12, 50, 0).unwrap())
    );
    assert_eq!(
        r.tasks()[1].finished_time,
        Some(Utc.with_ymd_and_hms(2015, 11, 23, 15, 16, 0).unwrap())
    );
}

#[test]
fn reference_xml_example_decodes_to_the_same_tasks_as_json() {
    let xml = ok("reference_example.xml");
    let json = ok("reference_example.json");
    assert_eq!(xml.request_id, "E5C82807-5588-4661-9A96-350B206A7623");
    assert_eq!(xml.task_set, json.task_set);
    assert_eq!((xml.page_number, xml.page_size, xml.total_count), (1, 2, 2));
    // IMPORT_IMAGE in the XML example is ImportImage.
    assert!(xml
        .tasks()
        .iter()
        .all(|t| t.task_action == TaskAction::ImportImage));
}

#[test]
fn service_shape_with_strings_unknowns_and_wild_fields() {
    let r = ok("service_object.json");
    assert_eq!((r.page_number, r.page_size, r.total_count), (1, 10, 3));
    let [a, b, c] = r.tasks() else {
        panic!("expected three tasks")
    };
    assert_eq!(a.task_action, TaskAction::ImportImage);
    assert_eq!(a.support_cancel, Some(true));
    assert_eq!(
        a.finished_time,
        Some(Utc.with_ymd_and_hms(2024, 3, 1, 8, 27, 41).unwrap())
    );
    assert_eq!(a.resource_id.as_deref(), Some("m-bp1imageaaaaaaaaaaa"));
    assert_eq!(a.source.as_deref(), Some("user"));
    assert_eq!(a.task_group_id.as_deref(), Some("tg-001"));
    assert_eq!(b.task_status, TaskStatus::Processing);
    assert_eq!(b.finished_time, None, "empty FinishedTime is None");
    assert_eq!(b.support_cancel, Some(true), "\"True\" is true");
    assert_eq!(c.task_action, TaskAction::Other("ResizeDiskOnline".into()));
    assert_eq!(c.task_status, TaskStatus::Other("Rollbacking".into()));
    assert_eq!(c.support_cancel, Some(false));
    assert_eq!(
        c.failed_reason.as_deref(),
        Some("InvalidImage.NotSupported")
    );
}

#[test]
fn one_task_as_an_object_decodes_as_a_list_of_one() {
    let r = ok("single_task_object.json");
    assert_eq!(r.task_set.len(), 1);
    let t = &r.tasks()[0];
    assert_eq!(t.task_id, "t-single");
    assert_eq!(t.task_action, TaskAction::RedeployInstance);
    assert_eq!(t.task_status, TaskStatus::Failed);
    assert_eq!(t.support_cancel, Some(false));
    assert_eq!(t.resource_id.as_deref(), Some("i-bp1instance"));
}

#[test]
fn empty_missing_and_null_tasksets_are_empty_pages() {
    for name in [
        "empty_task_list.json",
        "empty_taskset_object.json",
        "missing_taskset.json",
        "null_task.json",
        "empty_taskset.xml",
    ] {
        let r = ok(name);
        assert!(r.task_set.is_empty(), "{name}");
        assert!(!r.request_id.is_empty(), "{name}");
    }
    assert_eq!(ok("empty_task_list.json").total_count, 20);
}

#[test]
fn single_xml_task_with_cdata_entities_and_unknown_elements() {
    let r = ok("single_task.xml");
    assert_eq!(r.region_id.as_deref(), Some("cn-beijing"));
    let [t] = r.tasks() else {
        panic!("expected one task")
    };
    assert_eq!(t.task_id, "t-xml-one");
    assert_eq!(t.task_action, TaskAction::ModifyDiskSpec);
    assert_eq!(t.finished_time, None);
    assert_eq!(t.support_cancel, Some(true));
    assert_eq!(t.failed_reason.as_deref(), Some("disk <busy> & retrying"));
    assert_eq!(t.source.as_deref(), Some("user & \u{4e2d}\u{6587}"));
}

#[test]
fn documented_errors_decode_from_json_and_xml() {
    for (name, code, request_id) in [
        (
            "error_missing_parameter.json",
            "MissingParameter",
            "0C5C9A3D-MISSING",
        ),
        (
            "error_missing_parameter.xml",
            "MissingParameter",
            "0C5C9A3D-MISSING-XML",
        ),
        (
            "error_invalid_region.json",
            "InvalidRegionId.NotFound",
            "7B1E-REGION",
        ),
        (
            "error_invalid_region.xml",
            "InvalidRegionId.NotFound",
            "7B1E-REGION-XML",
        ),
    ] {
        let err = decode_response(400, &fixture(name), None).unwrap_err();
        assert_eq!(err.code(), Some(code), "{name}");
        assert_eq!(err.request_id(), Some(request_id), "{name}");
        assert_eq!(err.http_status(), Some(400), "{name}");
        let service = err.service_error().unwrap();
        assert!(service.host_id.is_some(), "{name}");
        assert!(!service.message.is_empty(), "{name}");
    }
    let e = decode_error_envelope(400, &fixture("error_missing_parameter.xml")).unwrap();
    assert_eq!(
        e.message,
        "An input parameter \"RegionId\" that is mandatory for processing the request is not supplied."
    );
    assert_eq!(
        e.recommend.as_deref(),
        Some("https://api.aliyun.com/troubleshoot?q=MissingParameter&product=Ecs")
    );
}

#[test]
fn html_pages_truncated_and_mistyped_bodies_are_decode_errors() {
    let html = fixture("proxy_502.html");
    for status in [200, 502] {
        let err = decode_response(status, &html, Some("REQ-H")).unwrap_err();
        let Error::Decode(d) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(d.http_status, status);
        assert!(d.reason.contains("HTML"), "{}", d.reason);
        assert!(d.excerpt.contains("502 Bad Gateway"));
        assert_eq!(err.request_id(), Some("REQ-H"));
    }
    let err = decode_response(200, &fixture("truncated.json"), None).unwrap_err();
    assert!(err.decode_error().is_some(), "{err:?}");
    let err = decode_response(200, &fixture("wrong_types.json"), None).unwrap_err();
    assert!(err.decode_error().unwrap().reason.contains("one"), "{err}");
    let err = decode_response(200, b"", None).unwrap_err();
    assert!(err.decode_error().is_some());
    let err = decode_response(200, b"plain text", None).unwrap_err();
    assert!(err
        .decode_error()
        .unwrap()
        .reason
        .contains("neither JSON nor XML"));
}

#[test]
fn format_specific_entry_points_decode_their_format() {
    assert_eq!(
        decode_json(&fixture("reference_example.json"))
            .unwrap()
            .task_set
            .len(),
        2
    );
    assert_eq!(
        decode_xml(&fixture("reference_example.xml"))
            .unwrap()
            .task_set
            .len(),
        2
    );
    assert!(decode_xml(&fixture("reference_example.json")).is_err());
    assert!(decode_json(&fixture("reference_example.xml")).is_err());
}

#[test]
fn a_task_without_id_is_an_error_not_a_silent_default() {
    let body =
        br#"{"RequestId":"R","TotalCount":1,"TaskSet":{"Task":[{"TaskStatus":"Finished"}]}}"#;
    let err = decode_response(200, body, None).unwrap_err();
    assert!(
        err.decode_error().unwrap().reason.contains("TaskId"),
        "{err}"
    );
}

#[test]
fn unparseable_times_are_decode_errors() {
    let body = br#"{"RequestId":"R","TotalCount":1,"TaskSet":{"Task":[{"TaskId":"t","CreationTime":"tomorrow"}]}}"#;
    let err = decode_response(200, body, None).unwrap_err();
    assert!(
        err.decode_error().unwrap().reason.contains("CreationTime"),
        "{err}"
    );
}
