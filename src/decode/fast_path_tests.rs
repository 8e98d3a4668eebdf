//! The fast paths against the general decoders: over generated bodies (realistic pages with
//! every oddity the general decoders accept or reject, then mangled), whenever a fast path
//! returns a page, the general decoder returns the same page; and the fast paths do take the
//! bodies the service sends.

use proptest::prelude::*;

use super::{json, json_scan, xml, xml_scan};
use crate::model::DescribeTasksResponse;

/// Values a field may carry, valid or not, in JSON spelling.
const JSON_VALUES: &[&str] = &[
    r#""t-bp1abc""#,
    r#""""#,
    r#"" t-padded ""#,
    r#""m-bp1xyz""#,
    r#""ImportImage""#,
    r#""IMPORT_IMAGE""#,
    r#""Finished""#,
    r#""Processing""#,
    r#""SomethingNew""#,
    r#""2024-05-01T10:20Z""#,
    r#""2024-05-01T10:20:30Z""#,
    r#""2024-05-01T10:20:30.5Z""#,
    r#""2015-11-24T20:50+08:00""#,
    r#""2024-13-01T10:20Z""#,
    r#""yesterday""#,
    "true",
    "false",
    r#""true""#,
    r#""True""#,
    r#""yes""#,
    "null",
    "0",
    "1",
    "7",
    "01",
    "-1",
    "-0",
    "1.5",
    "3.0",
    "1e3",
    "4294967296",
    "12345678901234567890",
    "18446744073709551616",
    "99999999999999999999999",
    r#""42""#,
    r#"" 42 ""#,
    r#""a\"b""#,
    r#""\u4e2d\u6587""#,
    r#""\ud800""#,
    "\"tab\tinside\"",
    r#""中文""#,
    r#"{"nested":[1,2,{"x":null}]}"#,
    "[]",
    "{}",
    "[1, -2.5e-3, true, \"s\"]",
    "tru",
    "nul",
    r#""unterminated"#,
];

const TASK_KEYS: &[&str] = &[
    "TaskId",
    "TaskAction",
    "TaskStatus",
    "CreationTime",
    "FinishedTime",
    "SupportCancel",
    "ResourceId",
    "Source",
    "FailedReason",
    "TaskGroupId",
    "TaskProcess",
    "taskid",
    "Task",
    "Ta\\u0073kId",
];

const ROOT_KEYS: &[&str] = &[
    "RequestId",
    "RegionId",
    "PageNumber",
    "PageSize",
    "TotalCount",
    "TaskSet",
    "Code",
    "Unknown",
];

const SPACES: &[&str] = &["", "", "", " ", "\n  ", "\t", "\r\n"];

fn space() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(SPACES)
}

/// A realistic task with every field, most values valid.
fn good_task(n: u32) -> String {
    format!(
        r#"{{"TaskId":"t-{n}","TaskAction":"ImportImage","TaskStatus":"Finished","CreationTime":"2024-05-01T10:{m:02}Z","FinishedTime":"","SupportCancel":"true","ResourceId":"m-{n}","TaskGroupId":"tg-1"}}"#,
        m = n % 60
    )
}

/// Values the general decoder accepts for `key`, so that most generated bodies decode.
fn valid_values(key: &str) -> &'static [&'static str] {
    match key {
        "CreationTime" | "FinishedTime" => &[
            r#""2024-05-01T10:20Z""#,
            r#""2024-05-01T10:20:30Z""#,
            r#""2024-05-01T10:20:30.5Z""#,
            r#""2015-11-24T20:50+08:00""#,
            r#"" 2024-05-01T10:20Z ""#,
            r#""""#,
            "null",
        ],
        "SupportCancel" => &[
            "true",
            "false",
            r#""true""#,
            r#""True""#,
            r#""FALSE""#,
            "1",
            "0",
            r#""""#,
            "null",
        ],
        "PageNumber" | "PageSize" | "TotalCount" => {
            &["1", "100", "0", r#""42""#, r#"" 42 ""#, r#""""#, "null"]
        }
        _ => &[
            r#""t-bp1abc""#,
            r#""""#,
            r#"" t-padded ""#,
            r#""IMPORT_IMAGE""#,
            r#""ImportImage""#,
            r#""Finished""#,
            r#""SomethingNew""#,
            r#""中文""#,
            "true",
            "7",
            "null",
        ],
    }
}

/// A value for `key`: usually one the general decoder accepts, sometimes anything.
fn value_for(key: &'static str) -> impl Strategy<Value = &'static str> {
    prop_oneof![
        15 => proptest::sample::select(valid_values(key)),
        1 => proptest::sample::select(JSON_VALUES),
    ]
}

/// A task object with generated members.
fn json_task() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        12 => proptest::sample::select(&TASK_KEYS[..10]),
        1 => proptest::sample::select(TASK_KEYS),
    ];
    let member = key.prop_flat_map(|k| (Just(k), value_for(k), space(), space()));
    prop_oneof![
        1 => (0u32..1000).prop_map(good_task),
        2 => (proptest::collection::vec(member, 0..7), value_for("TaskId"), proptest::bool::weighted(0.95)).prop_map(
            |(members, id, with_id)| {
                let mut inner: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, a, b)| format!("{a}\"{k}\"{b}:{a}{v}"))
                    .collect();
                if with_id {
                    inner.insert(0, format!("\"TaskId\":{id}"));
                }
                format!("{{{}}}", inner.join(","))
            }
        ),
    ]
}

/// A `TaskSet` in any of the shapes, plus some that are wrong.
fn json_task_set() -> impl Strategy<Value = String> {
    let tasks = proptest::collection::vec(json_task(), 0..5);
    (tasks, 0usize..10, space()).prop_map(|(tasks, shape, s)| {
        let list = tasks.join(&format!(",{s}"));
        match shape {
            0..=2 => format!(r#"{{"Task":{s}[{list}]}}"#),
            3 => format!(
                r#"{{"Task":{}}}"#,
                tasks.first().cloned().unwrap_or_else(|| "{}".into())
            ),
            4 => format!(r#"[{{"Task":[{list}]}}]"#),
            5 => format!("[{list}]"),
            6 => "null".into(),
            7 => r#"" ""#.into(),
            8 => r#""x""#.into(),
            _ => format!(r#"{{"Task":[{list}],"Extra":[{{"Task":1}}]}}"#),
        }
    })
}

/// A whole body: root members in any order, some repeated, some odd, usually with a `TaskSet`.
fn json_body() -> impl Strategy<Value = String> {
    let member = proptest::sample::select(ROOT_KEYS)
        .prop_flat_map(|k| (Just(k), value_for(k), json_task_set(), space()));
    (
        proptest::collection::vec(member, 0..7),
        proptest::option::weighted(0.8, json_task_set()),
        any::<usize>(),
        space(),
        0usize..40,
    )
        .prop_map(|(members, task_set, at, s, tail)| {
            let mut inner: Vec<String> = members
                .into_iter()
                .map(|(k, v, set, s)| {
                    let value = if k == "TaskSet" { set } else { v.to_owned() };
                    format!("{s}\"{k}\":{s}{value}")
                })
                .collect();
            if let Some(set) = task_set {
                inner.insert(at % (inner.len() + 1), format!("\"TaskSet\":{s}{set}"));
            }
            let trailer = [" ", "\n", "x", "{}", ",", "\u{a0}"]
                .get(tail)
                .copied()
                .unwrap_or("");
            format!("{s}{{{}}}{s}{trailer}", inner.join(","))
        })
}

/// A body with one byte changed, inserted or removed, or cut short.
fn mangled(body: String, at: usize, byte: u8, how: u8) -> Vec<u8> {
    let mut bytes = body.into_bytes();
    if bytes.is_empty() {
        return bytes;
    }
    let i = at % bytes.len();
    match how % 4 {
        0 => bytes[i] = byte,
        1 => bytes.insert(i, byte),
        2 => {
            bytes.remove(i);
        }
        _ => bytes.truncate(i),
    }
    bytes
}

/// Checks that where `fast` returns a page for `body`, `general` returns the same page.
fn agrees(
    body: &[u8],
    fast: fn(&str) -> Option<DescribeTasksResponse>,
    general: fn(&[u8]) -> Result<DescribeTasksResponse, String>,
) -> Result<(), TestCaseError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(());
    };
    if let Some(page) = fast(text) {
        let read = general(body);
        prop_assert_eq!(
            read.as_ref(),
            Ok(&page),
            "the fast path read {:?} differently",
            text
        );
    }
    Ok(())
}

fn check_json(body: &[u8]) -> Result<(), TestCaseError> {
    agrees(body, json_scan::decode, json::decode_with_serde)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn json_fast_path_agrees_with_serde(body in json_body()) {
        check_json(body.as_bytes())?;
    }

    #[test]
    fn json_fast_path_agrees_with_serde_on_mangled_bodies(
        body in json_body(), at in any::<usize>(), byte in proptest::sample::select(&b"{}[]\",:\\ 0a-.e\x01t"[..]), how in any::<u8>()
    ) {
        check_json(&mangled(body, at, byte, how))?;
    }
}

#[test]
fn json_fast_path_takes_realistic_pages_and_the_fixtures() {
    let tasks: Vec<String> = (0..100).map(good_task).collect();
    let page = format!(
        r#"{{"RequestId":"R","RegionId":"cn-hangzhou","PageNumber":1,"PageSize":100,"TotalCount":1000,"TaskSet":{{"Task":[{}]}}}}"#,
        tasks.join(",")
    );
    let fast = json_scan::decode(&page).expect("a realistic page takes the fast path");
    assert_eq!(fast.task_set.len(), 100);
    assert_eq!(Ok(fast), json::decode_with_serde(page.as_bytes()));
    for fixture in [
        "reference_example.json",
        "service_object.json",
        "single_task_object.json",
        "empty_task_list.json",
        "empty_taskset_object.json",
        "missing_taskset.json",
        "null_task.json",
    ] {
        let path = format!("{}/tests/data/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(&path).unwrap();
        let fast = json_scan::decode(&body).unwrap_or_else(|| panic!("{fixture} is in the subset"));
        assert_eq!(
            Ok(fast),
            json::decode_with_serde(body.as_bytes()),
            "{fixture}"
        );
    }
}

#[test]
fn json_fast_path_leaves_escapes_and_errors_to_serde() {
    for body in [
        r#"{"RequestId":"a\"b"}"#,
        r#"{"TaskSet":{"Task":[{"TaskId":"t-1","CreationTime":"bad"}]}}"#,
        r#"{"TaskSet":{"Task":[{"TaskAction":"ImportImage"}]}}"#,
        r#"{"PageSize":-1}"#,
        r#"{"PageSize":1.5}"#,
        r#"{"RequestId":"R"} x"#,
        r#"{"RequestId":"R",}"#,
        r#"[{"RequestId":"R"}]"#,
    ] {
        assert!(json_scan::decode(body).is_none(), "{body}");
    }
}

/// Text an XML leaf may carry, valid or not.
const XML_VALUES: &[&str] = &[
    "t-bp1abc",
    "",
    " t-padded ",
    "ImportImage",
    "IMPORT_IMAGE",
    "Finished",
    "Processing",
    "2024-05-01T10:20Z",
    "2024-05-01T10:20:30Z",
    "\n  2024-05-01T10:20:30.5Z\n",
    "true",
    "True",
    "0",
    "42",
    " 42 ",
    "中文",
    "a > b",
    "x\r\ny",
];

/// Pieces outside the subset, or wrong: the general decoder reads (or rejects) them.
const XML_ODD: &[&str] = &[
    "yes",
    "-1",
    "4294967296",
    "bad-time",
    "a &amp; b",
    "&#x4e2d;",
    "&bogus;",
    "& loose",
    "<![CDATA[x<y]]>",
    "<!-- note -->v",
    "<Deep>inner</Deep>",
    "<Deep/>",
    "</Stray>",
    "<",
    ">",
];

const XML_TASK_KEYS: &[&str] = &[
    "TaskId",
    "TaskAction",
    "TaskStatus",
    "CreationTime",
    "FinishedTime",
    "SupportCancel",
    "ResourceId",
    "Source",
    "FailedReason",
    "TaskGroupId",
    "TaskProcess",
    "ns:TaskId",
    "Task",
];

/// Text for `key`: usually a value the general decoder accepts there, sometimes anything.
fn xml_text(key: &'static str) -> impl Strategy<Value = &'static str> {
    let unquoted = |v: &'static str| if v == "null" { "" } else { v.trim_matches('"') };
    prop_oneof![
        30 => proptest::sample::select(valid_values(key)).prop_map(unquoted),
        2 => proptest::sample::select(XML_VALUES),
        1 => proptest::sample::select(XML_ODD),
    ]
}

/// One element in any spelling the service or a gateway might use, or a broken one.
fn xml_leaf(name: &'static str, value: &'static str, form: u8, space: &str) -> String {
    match form % 64 {
        0..=4 => format!("<{name}/>"),
        5..=7 => format!("<{name}></{name}>"),
        8 => format!("<{name}>{value}</{name} >"),
        9 => format!("<{name}>{value}</Wrong>"),
        10 => format!("<{name} a=\"1\">{value}</{name}>"),
        11 => format!("<{name}>{value}"),
        _ => format!("{space}<{name}>{value}</{name}>"),
    }
}

fn xml_task() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        12 => proptest::sample::select(&XML_TASK_KEYS[..10]),
        1 => proptest::sample::select(XML_TASK_KEYS),
    ];
    let member = key.prop_flat_map(|k| (Just(k), xml_text(k), any::<u8>(), space()));
    (
        proptest::collection::vec(member, 0..8),
        proptest::sample::select(&XML_VALUES[..3]),
        proptest::bool::weighted(0.95),
        space(),
    )
        .prop_map(|(members, id, with_id, s)| {
            let mut out = String::from("<Task>");
            if with_id {
                out.push_str(&format!("<TaskId>{id}</TaskId>"));
            }
            for (k, v, form, s) in members {
                out.push_str(&xml_leaf(k, v, form, s));
            }
            out.push_str(&format!("{s}</Task>"));
            out
        })
}

fn xml_body() -> impl Strategy<Value = String> {
    let root_member = proptest::sample::select(ROOT_KEYS)
        .prop_flat_map(|k| (Just(k), xml_text(k), any::<u8>(), space()));
    let task_set = (proptest::collection::vec(xml_task(), 0..5), 0u8..8, space()).prop_map(
        |(tasks, shape, s)| match shape {
            0 => "<TaskSet/>".to_owned(),
            1 => format!("<TaskSet><TaskSet>{}</TaskSet></TaskSet>", tasks.join(s)),
            2 => format!("<ns:TaskSet>{}</ns:TaskSet>", tasks.join(s)),
            _ => format!("<TaskSet>{s}{}{s}</TaskSet>", tasks.join(s)),
        },
    );
    (
        0u8..12,
        0u8..12,
        proptest::collection::vec(root_member, 0..6),
        proptest::option::weighted(0.85, task_set),
        any::<usize>(),
        space(),
        0usize..30,
    )
        .prop_map(|(decl, root, members, set, at, s, tail)| {
            let decl = match decl {
                0..=5 => r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                6 => r#"<?xml version="1.0"?>"#,
                7 => "<?xml-stylesheet href=\"a\"?>",
                8 => "<?x?>",
                9 => "<!DOCTYPE r>",
                _ => "",
            };
            let root = match root {
                0 => "Error",
                1 => "ns:DescribeTasksResponse",
                _ => "DescribeTasksResponse",
            };
            let mut inner: Vec<String> = members
                .into_iter()
                .map(|(k, v, form, s)| xml_leaf(k, v, form, s))
                .collect();
            if let Some(set) = set {
                inner.insert(at % (inner.len() + 1), set);
            }
            let trailer = [" ", "\n", "x", "<Extra/>", "</Stray>", "&amp;"]
                .get(tail)
                .copied()
                .unwrap_or("");
            format!("{decl}{s}<{root}>{}{s}</{root}>{trailer}", inner.join(s))
        })
}

fn check_xml(body: &[u8]) -> Result<(), TestCaseError> {
    agrees(body, xml_scan::decode, xml::decode_with_quick_xml)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn xml_fast_path_agrees_with_quick_xml(body in xml_body()) {
        check_xml(body.as_bytes())?;
    }

    #[test]
    fn xml_fast_path_agrees_with_quick_xml_on_mangled_bodies(
        body in xml_body(), at in any::<usize>(), byte in proptest::sample::select(&b"<>/&;: \n?!\"=ax"[..]), how in any::<u8>()
    ) {
        check_xml(&mangled(body, at, byte, how))?;
    }
}

#[test]
fn xml_fast_path_takes_realistic_pages_and_plain_fixtures() {
    let tasks: String = (0..100)
        .map(|n| {
            format!(
                "<Task><TaskId>t-{n}</TaskId><TaskAction>ImportImage</TaskAction><TaskStatus>Finished</TaskStatus><CreationTime>2024-05-01T10:{m:02}Z</CreationTime><FinishedTime/><SupportCancel>true</SupportCancel><ResourceId>m-{n}</ResourceId><TaskGroupId>tg-1</TaskGroupId></Task>",
                m = n % 60
            )
        })
        .collect();
    let page = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><DescribeTasksResponse><RequestId>R</RequestId><RegionId>cn-hangzhou</RegionId><PageNumber>1</PageNumber><PageSize>100</PageSize><TotalCount>1000</TotalCount><TaskSet>{tasks}</TaskSet></DescribeTasksResponse>"#
    );
    let fast = xml_scan::decode(&page).expect("a realistic page takes the fast path");
    assert_eq!(fast.task_set.len(), 100);
    assert_eq!(Ok(fast), xml::decode_with_quick_xml(page.as_bytes()));
    for fixture in ["reference_example.xml", "empty_taskset.xml"] {
        let path = format!("{}/tests/data/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(&path).unwrap();
        let fast = xml_scan::decode(&body).unwrap_or_else(|| panic!("{fixture} is in the subset"));
        assert_eq!(
            Ok(fast),
            xml::decode_with_quick_xml(body.as_bytes()),
            "{fixture}"
        );
    }
    // Entities and CDATA are the general decoder's.
    let body = std::fs::read_to_string(format!(
        "{}/tests/data/single_task.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(xml_scan::decode(&body).is_none());
}
