//! The error envelope: `{"Code": ..., "Message": ..., "RequestId": ..., "HostId": ...,
//! "Recommend": ...}` in JSON, or `<Error><Code>...</Code>...</Error>` in XML.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{service_error, sniff, BodyKind};
use crate::error::ServiceError;

/// Reads an error envelope from a body of either format. Returns `None` when the body holds no
/// `Code` (so it is not an envelope). Field names are matched ignoring case, as gateways differ.
pub fn decode_error_envelope(http_status: u16, body: &[u8]) -> Option<ServiceError> {
    match sniff(body) {
        BodyKind::Json => from_json(http_status, body),
        BodyKind::Xml => from_xml(http_status, body),
        _ => None,
    }
}

fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn from_json(http_status: u16, body: &[u8]) -> Option<ServiceError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let get = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| text_of(v))
            .filter(|s| !s.is_empty())
    };
    let mut e = service_error(http_status, get("Code")?);
    e.message = get("Message").unwrap_or_default();
    e.request_id = get("RequestId");
    e.host_id = get("HostId");
    e.recommend = get("Recommend");
    Some(e)
}

fn from_xml(http_status: u16, body: &[u8]) -> Option<ServiceError> {
    let mut reader = Reader::from_reader(body);
    let mut current: Option<Vec<u8>> = None;
    let mut text = String::new();
    let mut fields: [Option<String>; 5] = Default::default();
    const NAMES: [&[u8]; 5] = [b"code", b"message", b"requestid", b"hostid", b"recommend"];
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                current = Some(e.local_name().as_ref().to_ascii_lowercase());
                text.clear();
            }
            Event::Text(e) if current.is_some() => text.push_str(&e.decode().ok()?),
            Event::CData(e) if current.is_some() => text.push_str(&e.decode().ok()?),
            Event::GeneralRef(e) if current.is_some() => {
                super::xml::push_entity(&mut text, &e).ok()?
            }
            Event::End(_) => {
                if let Some(name) = current.take() {
                    if let Some(i) = NAMES.iter().position(|n| *n == name.as_slice()) {
                        if fields[i].is_none() {
                            fields[i] = Some(text.trim().to_owned()).filter(|s| !s.is_empty());
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let [code, message, request_id, host_id, recommend] = fields;
    let mut e = service_error(http_status, code?);
    e.message = message.unwrap_or_default();
    e.request_id = request_id;
    e.host_id = host_id;
    e.recommend = recommend;
    Some(e)
}
