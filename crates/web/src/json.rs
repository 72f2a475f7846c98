//! Request bodies and query strings, with errors people can act on.
//!
//! [`ApiJson`] answers 415 for a body that is not JSON, 413 past the body limit, 400 for
//! malformed JSON, and 422 naming the field (as a zero-based JSON path) for a wrong type, a
//! missing field or an unknown one. Nothing reaches a handler unless it parsed.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use openiop_core::Invalid;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body parsed into `T`. Every text in it passes `core::text`'s rule (422 naming the
/// field) unless `TEXT` is false: only the login turns it off, because there a refused name
/// or password must answer 401 like any other wrong credential (`auth::login` checks them).
pub struct ApiJson<T, const TEXT: bool = true>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const TEXT: bool> FromRequest<S> for ApiJson<T, TEXT> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::MalformedJson("the body could not be read".into())
            }
        })?;
        parse_body(&bytes, TEXT).map(ApiJson)
    }
}

/// Parses JSON, mapping serde's errors to the API's.
///
/// Every request body of this API is a JSON object: serde would also fill a struct from an
/// array, positionally, which no client means, so anything else is refused first.
/// A value of an operation's input as it arrived: text from a JSON body, still to be read
/// (and refused with a field error when it does not read), or a value a page has already
/// read from its form (a local time in the site's zone, an id from the path), which is not
/// written out as text only to be read back. `Read(None)`: the page could not read it.
#[derive(Debug, Clone)]
pub enum Given<T> {
    Text(String),
    Read(Option<T>),
}

impl<'de, T> serde::Deserialize<'de> for Given<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Given::Text)
    }
}

/// In a body's schema a `Given` is the text it arrives as; the field says its format
/// (`#[schemars(extend("format" = "date-time"))]`).
impl<T> schemars::JsonSchema for Given<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Given".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}

impl Given<time::OffsetDateTime> {
    /// The instant: RFC 3339 text read, or the page's own reading; a field error otherwise.
    pub fn instant(
        &self,
        check: &mut openiop_core::validate::Check,
        field: &str,
    ) -> Option<time::OffsetDateTime> {
        match self {
            Given::Text(text) => read_instant(check, field, text),
            Given::Read(Some(at)) => Some(*at),
            Given::Read(None) => {
                check.fail(field, "must be a date and a time of day");
                None
            }
        }
    }
}

/// An instant given as RFC 3339 text in a body; a field error otherwise.
pub fn read_instant(
    check: &mut openiop_core::validate::Check,
    field: &str,
    text: &str,
) -> Option<time::OffsetDateTime> {
    let read =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok();
    if read.is_none() {
        check.fail(
            field,
            "must be a date and time with offset (RFC 3339), e.g. 2026-11-23T18:00:00-06:00",
        );
    }
    read
}

impl<T: std::str::FromStr> Given<T> {
    /// The id (or other value read from text): a 422 naming `field` when it does not read.
    pub fn id(&self, field: &str) -> Result<T, Invalid>
    where
        T: Clone,
    {
        match self {
            Given::Text(text) => read_id(field, text),
            Given::Read(value) => value.clone().ok_or_else(|| Invalid::one(field, ID_MESSAGE)),
        }
    }
}

const ID_MESSAGE: &str = "must be an id (UUID)";

/// An id given as text in a body: a 422 naming `field` when it is not one.
pub fn read_id<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, Invalid> {
    text.parse().map_err(|_| Invalid::one(field, ID_MESSAGE))
}

#[cfg(test)]
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse_body(bytes, true)
}

fn parse_body<T: DeserializeOwned>(bytes: &[u8], check_text: bool) -> Result<T, ApiError> {
    let value = strict_value(bytes, check_text)?;
    if !value.is_object() {
        return Err(Invalid::one("", "the body must be a JSON object").into());
    }
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let path = err.path().to_string();
        data_error(&path, &err.into_inner())
    })
}

/// Parses JSON into a value, refusing (422, naming the field) a key that appears twice in
/// one object, which serde_json would silently resolve to the last, and any key or string
/// that `core::text` refuses. Malformed JSON is a 400.
fn strict_value(bytes: &[u8], check_text: bool) -> Result<serde_json::Value, ApiError> {
    let refused = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde::de::DeserializeSeed::deserialize(
        Strict {
            path: String::new(),
            refused: &refused,
            check_text,
        },
        &mut de,
    )
    .and_then(|value| de.end().map(|()| value));
    match (parsed, refused.into_inner()) {
        (Ok(value), _) => Ok(value),
        (Err(_), Some((field, message))) => Err(Invalid::one(field, message).into()),
        (Err(e), None) => Err(ApiError::MalformedJson(e.to_string())),
    }
}

/// Checks the names and values of a query string's or a form's pairs against `core::text`;
/// the first refused one is a field error.
pub(crate) fn check_pairs(pairs: &[(String, String)]) -> Result<(), Invalid> {
    for (name, value) in pairs {
        for (field, text) in [(name.as_str(), value.as_str()), ("name", name.as_str())] {
            openiop_core::text::check(field, text)
                .map_err(|r| Invalid::one(name.as_str(), r.message()))?;
        }
    }
    Ok(())
}

/// A JSON value at `path`, checked as it is read (see [`strict_value`]).
struct Strict<'a> {
    path: String,
    refused: &'a std::cell::RefCell<Option<(String, String)>>,
    check_text: bool,
}

impl Strict<'_> {
    fn refuse<E: serde::de::Error>(&self, field: String, message: &str) -> E {
        self.refused
            .borrow_mut()
            .get_or_insert((field, message.to_owned()));
        E::custom(message)
    }

    fn child(&self, path: String) -> Self {
        Strict {
            path,
            refused: self.refused,
            check_text: self.check_text,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match openiop_core::text::check(&self.path, v) {
            Err(r) if self.check_text => Err(self.refuse(self.path.clone(), r.message())),
            _ => Ok(v.into()),
        }
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.visit_str(&v)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) =
            seq.next_element_seed(self.child(format!("{}[{}]", self.path, items.len())))?
        {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if let Err(r) = openiop_core::text::check("key", &key) {
                return Err(self.refuse(path, r.message()));
            }
            if object.contains_key(&key) {
                return Err(self.refuse(path, "appears more than once in the object"));
            }
            let value = map.next_value_seed(self.child(path))?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// Names the field of a data error: serde reports unknown and missing fields at their
/// parent's path, so the field's own name is appended.
fn data_error(path: &str, err: &serde_json::Error) -> ApiError {
    let message = err.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_owned();
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|name| {
                if path == "." || path.is_empty() {
                    name.to_owned()
                } else if path == name || path.ends_with(&format!(".{name}")) {
                    // serde_path_to_error already descended into an unknown field.
                    path.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            })
    };
    if let Some(field) = named("unknown field `") {
        return Invalid::one(field, "is not a field of this request").into();
    }
    if let Some(field) = named("missing field `") {
        return Invalid::one(field, "is required").into();
    }
    let field = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    Invalid::one(field, message).into()
}

/// A query string parsed into `T`; a bad one is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = form_pairs(query);
        check_pairs(&pairs)?;
        let object: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        let value = serde_json::Value::Object(object);
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Ok(ApiQuery(v)),
            Err(err) => {
                let path = err.path().to_string();
                Err(data_error(&path, &err.into_inner()))
            }
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs (later duplicates win).
pub(crate) fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        answers: Vec<u8>,
    }

    fn field(err: ApiError) -> String {
        err.field_errors()[0].field.clone()
    }

    #[test]
    fn errors_name_their_fields() {
        assert_eq!(
            field(parse::<Body>(br#"{"name": "a", "answers": [1, "x"]}"#).unwrap_err()),
            "answers[1]"
        );
        assert_eq!(
            field(parse::<Body>(br#"{"answers": []}"#).unwrap_err()),
            "name"
        );
        assert_eq!(
            field(parse::<Body>(br#"{"name": "a", "answers": [], "extra": 1}"#).unwrap_err()),
            "extra"
        );
        assert!(matches!(
            parse::<Body>(br#"{"name": "#),
            Err(ApiError::MalformedJson(_))
        ));
        assert!(matches!(
            parse::<Body>(br#"{"name": "a", "answers": []} x"#),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn form_pairs_decode() {
        assert_eq!(
            form_pairs("q=Ana+Ru%C3%ADz&x=%zz&y"),
            vec![
                ("q".to_owned(), "Ana Ruíz".to_owned()),
                ("x".to_owned(), "%zz".to_owned()),
                ("y".to_owned(), String::new())
            ]
        );
        assert_eq!(form_pairs("a=%4"), vec![("a".to_owned(), "%4".to_owned())]);
    }
}
