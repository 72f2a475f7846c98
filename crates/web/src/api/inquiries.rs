//! The public "get help" inquiry, and the staff's view of inquiries.
//!
//! An inquiry is `multipart/form-data` so people can attach a referral letter or an
//! insurance card. Files are streamed to the file store chunk by chunk (never held whole in
//! memory), typed by their content, and only given their final names, with the inquiry
//! row, once the whole request has passed every rule: any refusal stores nothing.

use crate::ids::Ids;
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use openiop_core::access::Action;
use openiop_core::id::{AttachmentId, InquiryId};
use openiop_core::login::{Gate, LoginPolicy, retry_after_seconds};
use openiop_core::upload::{self, MAX_FILE_BYTES, MAX_FILES, SNIFF_BYTES};
use openiop_core::validate::Check;
use openiop_core::{FieldError, Invalid};
use openiop_store::auth as throttle;
use openiop_store::files::PendingFile;
use openiop_store::inquiries::{self, Attachment, Inquiry, NewInquiry};
use openiop_store::{Instant, organization};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use uuid::Uuid;

use super::{ListPage, require};
use crate::AppState;
use crate::audit_log::EventBuilder;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiQuery;
use crate::times::rfc3339;

/// The whole request may carry five full files and the text: 5 x 32 MiB + 1 MiB.
pub const INQUIRY_BODY_MAX: usize = (MAX_FILES as u64 * MAX_FILE_BYTES) as usize + 1024 * 1024;
/// The longest text field accepted.
const TEXT_MAX_BYTES: usize = 16 * 1024;

/// The answer to a sender: when it was received, nothing else.
#[derive(Debug, Serialize)]
pub struct Received {
    pub id: Uuid,
    pub received_at: String,
}

/// A file received and checked, still under its temporary name.
struct Upload {
    file: PendingFile,
    name: String,
    media_type: upload::MediaType,
    size: u64,
    sha256: String,
}

/// The text fields of the form, and the limits each has.
const TEXT_FIELDS: [(&str, usize); 9] = [
    ("name", 100),
    ("contact", 200),
    ("contact_method", 20),
    ("safe_times", 200),
    ("for_whom", 20),
    ("substances", 500),
    ("wants", 1000),
    ("message", 5000),
    ("website", 200),
];

pub const CONTACT_METHODS: [&str; 4] = ["phone", "text", "email", "any"];
pub const FOR_WHOM: [&str; 2] = ["self", "loved_one"];

/// Reads one text field, refusing more than [`TEXT_MAX_BYTES`].
async fn read_text(field: &mut Field<'_>, name: &str) -> ApiResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > TEXT_MAX_BYTES {
            return Err(Invalid::one(name, "is too long").into());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| Invalid::one(name, "must be text (UTF-8)").into())
}

/// Streams one file to the file store, checking its type from its first bytes and its size
/// as it goes.
async fn read_file(state: &AppState, field: &mut Field<'_>) -> ApiResult<Option<Upload>> {
    let name = upload::clean_file_name(field.file_name().unwrap_or(""));
    let declared_empty = field.file_name().is_none_or(str::is_empty);
    let mut file = state.files.create().await.map_err(io_error)?;
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut tail: std::collections::VecDeque<u8> =
        std::collections::VecDeque::with_capacity(upload::TAIL_BYTES);
    let mut media_type = None;
    let mut size: u64 = 0;
    let mut digest = Sha256::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        size += chunk.len() as u64;
        if size > MAX_FILE_BYTES {
            return Err(ApiError::TooLarge);
        }
        let need = upload::HEAD_BYTES.saturating_sub(head.len());
        head.extend_from_slice(&chunk[..need.min(chunk.len())]);
        if media_type.is_none() && head.len() >= SNIFF_BYTES {
            media_type = Some(upload::sniff(&head).ok_or_else(not_accepted)?);
        }
        let keep = chunk.len().min(upload::TAIL_BYTES);
        for &b in &chunk[chunk.len() - keep..] {
            if tail.len() == upload::TAIL_BYTES {
                tail.pop_front();
            }
            tail.push_back(b);
        }
        digest.update(&chunk);
        file.write(&chunk).await.map_err(io_error)?;
    }
    if size == 0 && declared_empty {
        // A file input left empty: browsers still send the part.
        return Ok(None);
    }
    let media_type = match media_type {
        Some(t) => t,
        None => upload::sniff(&head).ok_or_else(not_accepted)?,
    };
    upload::inspect(media_type, &head, tail.make_contiguous())
        .map_err(|why| ApiError::RefusedUpload(format!("The file {name} {why}.")))?;
    file.finish().await.map_err(io_error)?;
    Ok(Some(Upload {
        file,
        name,
        media_type,
        size,
        sha256: hex::encode(digest.finalize()),
    }))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::MalformedUpload(err.body_text())
    }
}

fn not_accepted() -> ApiError {
    ApiError::RefusedUpload(
        "Attachments must be PDF, JPEG or PNG files (judged by their content, not their name)."
            .into(),
    )
}

fn io_error(err: std::io::Error) -> ApiError {
    ApiError::caused("the file store", err)
}

/// Counts an inquiry from `client` against the per-address limit (kept in the database, so
/// every instance shares it).
async fn throttle_inquiries(state: &AppState, client: &str) -> ApiResult<()> {
    let policy = LoginPolicy {
        address_limit: state.config.inquiry_limit,
        address_window: state.config.inquiry_window,
        ..LoginPolicy::default()
    };
    let key = format!("inquiry:{client}");
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let window = throttle::find_address_window(&mut tx.db(), &key).await?;
    let (gate, window) = policy.address_attempt(window, now);
    throttle::set_address_window(&mut tx.db(), &key, window).await?;
    tx.commit().await?;
    match gate {
        Gate::Open => Ok(()),
        Gate::Closed { retry_after } => Err(ApiError::TooManyRequests {
            retry_after: retry_after_seconds(retry_after),
        }),
    }
}

/// Receives an inquiry (API and page alike). Whenever this returns an error, nothing of the
/// request is stored: pending files delete themselves when dropped.
pub async fn receive(state: &AppState, client: &str, mut form: Multipart) -> ApiResult<Received> {
    throttle_inquiries(state, client).await?;
    let mut texts: Vec<(&'static str, String)> = Vec::new();
    let mut uploads: Vec<Upload> = Vec::new();
    let mut errors: Vec<FieldError> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "attachments" {
            if uploads.len() == MAX_FILES {
                return Err(
                    Invalid::one("attachments", format!("at most {MAX_FILES} files")).into(),
                );
            }
            if let Some(upload) = read_file(state, &mut field).await? {
                uploads.push(upload);
            }
            continue;
        }
        match TEXT_FIELDS.iter().find(|(known, _)| *known == name) {
            Some((known, _)) => {
                let text = read_text(&mut field, known).await?;
                if let Err(refused) = openiop_core::text::check(known, &text) {
                    errors.push(FieldError {
                        field: (*known).to_owned(),
                        message: refused.message().into(),
                    });
                    continue;
                }
                texts.retain(|(k, _)| k != known);
                texts.push((known, text));
            }
            None => errors.push(FieldError {
                field: name,
                message: "is not a field of this form".into(),
            }),
        }
    }
    let get = |name: &str| {
        texts
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    };
    let now = state.now();
    // A filled honeypot is a bot: answer as usual, keep nothing.
    if get("website").is_some_and(|w| !w.trim().is_empty()) {
        return Ok(Received {
            id: openiop_core::id::new_id(),
            received_at: rfc3339(Instant::new(now)),
        });
    }
    let mut check = Check::new();
    for e in errors {
        check.fail(&e.field, e.message);
    }
    let mut text = |name: &str| {
        let max = TEXT_FIELDS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, m)| *m)
            .unwrap_or(200);
        check.optional_text(name, get(name), max).flatten()
    };
    let inquiry = NewInquiry {
        name: text("name"),
        contact: text("contact").unwrap_or_default(),
        contact_method: text("contact_method"),
        safe_times: text("safe_times"),
        for_whom: text("for_whom"),
        substances: text("substances"),
        wants: text("wants"),
        message: text("message"),
    };
    if inquiry.contact.is_empty() && get("contact").is_none_or(|c| c.trim().is_empty()) {
        check.fail("contact", "is required: how can we reach you?");
    }
    if inquiry
        .contact_method
        .as_deref()
        .is_some_and(|m| !CONTACT_METHODS.contains(&m))
    {
        check.fail("contact_method", "must be phone, text, email or any");
    }
    if inquiry
        .for_whom
        .as_deref()
        .is_some_and(|m| !FOR_WHOM.contains(&m))
    {
        check.fail("for_whom", "must be self or loved_one");
    }
    check.finish(|| Some(()))?;

    let mut conn = state.store.read().await?;
    let org = organization::first_organization(&mut conn.db())
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let id = openiop_core::id::new_id();
    let at = Instant::new(now);
    let mut stored: Vec<Attachment> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for upload in uploads {
        let key = upload.file.persist().await.map_err(io_error)?;
        keys.push(key.clone());
        stored.push(Attachment {
            id: openiop_core::id::new_id(),
            inquiry_id: id,
            file_name: upload.name,
            media_type: upload.media_type.mime().to_owned(),
            size_bytes: i64::try_from(upload.size).unwrap_or(i64::MAX),
            sha256: upload.sha256,
            storage_key: key,
        });
    }
    let written = async {
        let mut tx = state.store.begin().await?;
        inquiries::insert_inquiry(&mut tx.db(), org.id, id, &inquiry, "inquiry", at).await?;
        for a in &stored {
            inquiries::insert_attachment(&mut tx.db(), org.id, a).await?;
        }
        let event = EventBuilder::anonymous(org.id, client)
            .action("inquiry.create", format!("inquiries/{id}"))
            .detail(format!("attachments={}", stored.len()));
        tx.audit(event.build(now)).await?;
        tx.commit().await
    }
    .await;
    if let Err(err) = written {
        for key in &keys {
            state.files.remove(key).await;
        }
        return Err(err.into());
    }
    Ok(Received {
        id,
        received_at: rfc3339(at),
    })
}

/// `POST /api/v1/inquiries` (public).
pub async fn post_inquiry(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let form = form.map_err(|_| ApiError::NotMultipart)?;
    let received = receive(&state, &addr.ip().to_string(), form).await?;
    Ok((StatusCode::CREATED, Json(received)))
}

#[derive(Serialize)]
pub struct InquiryJson {
    pub id: Uuid,
    pub received_at: String,
    pub stage: String,
    pub stage_since: String,
    pub name: Option<String>,
    pub contact: String,
    pub contact_method: Option<String>,
    pub safe_times: Option<String>,
    pub for_whom: Option<String>,
    pub substances: Option<String>,
    pub wants: Option<String>,
    pub message: Option<String>,
    pub owner_id: Option<Uuid>,
    pub next_step: Option<String>,
    pub due_on: Option<String>,
    pub patient_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<AttachmentJson>>,
}

#[derive(Serialize)]
pub struct AttachmentJson {
    pub id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl InquiryJson {
    pub fn from_row(i: Inquiry, attachments: Option<Vec<Attachment>>) -> InquiryJson {
        InquiryJson {
            id: i.id,
            received_at: rfc3339(i.received_at),
            stage: i.stage,
            stage_since: rfc3339(i.stage_since),
            name: i.name,
            contact: i.contact,
            contact_method: i.contact_method,
            safe_times: i.safe_times,
            for_whom: i.for_whom,
            substances: i.substances,
            wants: i.wants,
            message: i.message,
            owner_id: i.owner_id,
            next_step: i.next_step,
            due_on: i.due_on.map(openiop_core::validate::format_date),
            patient_id: i.patient_id,
            attachments: attachments.map(|list| {
                list.into_iter()
                    .map(|a| AttachmentJson {
                        id: a.id,
                        file_name: a.file_name,
                        media_type: a.media_type,
                        size_bytes: a.size_bytes,
                        sha256: a.sha256,
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InquiryQuery {
    pub stage: Option<String>,
}

/// `GET /api/v1/inquiries?stage=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<InquiryQuery>,
) -> ApiResult<Json<ListPage<InquiryJson>>> {
    require(&state, &caller, Action::ReadInquiries, "inquiry.list").await?;
    let mut conn = state.store.read().await?;
    let stage = query.stage.as_deref().filter(|s| !s.is_empty());
    let rows =
        inquiries::list_inquiries(&mut conn.db(), caller.organization_id, stage, 500).await?;
    drop(conn);
    let event = EventBuilder::for_caller(&caller)
        .action("inquiry.list", "inquiries")
        .detail(format!("results={}", rows.len()));
    state.store.record(vec![event.build(state.now())]).await?;
    Ok(Json(ListPage::whole(
        rows.into_iter()
            .map(|i| InquiryJson::from_row(i, None))
            .collect(),
    )))
}

/// Opens one inquiry for a caller who may read inquiries; audited.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    id: InquiryId,
    action: &str,
) -> ApiResult<(Inquiry, Vec<Attachment>)> {
    require(state, caller, Action::ReadInquiries, action).await?;
    let id = id.uuid();
    let mut conn = state.store.read().await?;
    let inquiry = inquiries::find_inquiry(&mut conn.db(), caller.organization_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let attachments = inquiries::list_attachments(&mut conn.db(), id).await?;
    drop(conn);
    let mut event = EventBuilder::for_caller(caller).action(action, format!("inquiries/{id}"));
    if let Some(patient) = inquiry.patient_id {
        event = event.patient(patient);
    }
    state.store.record(vec![event.build(state.now())]).await?;
    Ok((inquiry, attachments))
}

/// `GET /api/v1/inquiries/{id}`: with its attachments' metadata.
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<InquiryId>,
) -> ApiResult<Json<InquiryJson>> {
    let (inquiry, attachments) = open(&state, &caller, id, "inquiry.read").await?;
    Ok(Json(InquiryJson::from_row(inquiry, Some(attachments))))
}

/// `GET /api/v1/inquiries/{id}/attachments/{attachment_id}`: the file, streamed.
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, attachment_id)): Ids<(InquiryId, AttachmentId)>,
) -> ApiResult<Response> {
    let (_, attachments) = open(&state, &caller, id, "inquiry.attachment.read").await?;
    let attachment = attachments
        .into_iter()
        .find(|x| attachment_id == x.id)
        .ok_or(ApiError::NotFound)?;
    let path = state
        .files
        .path_of(&attachment.storage_key)
        .ok_or(ApiError::NotFound)?;
    let file = tokio::fs::File::open(path).await.map_err(io_error)?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let disposition = format!("attachment; filename=\"{}\"", attachment.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, attachment.media_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, attachment.size_bytes.to_string()),
        ],
        body,
    )
        .into_response())
}

/// This module's routes, in the one route table ([`crate::routes::table`]) from which the
/// router, the OpenAPI document, the authorization matrix and the CSRF test are built.
#[rustfmt::skip]
pub(crate) fn routes() -> Vec<crate::routes::Route> {
    use crate::routes::prelude::*;
    vec![
    route(M::POST, "/api/v1/inquiries", "Send a confidential inquiry (public; multipart/form-data)", post(api::inquiries::post_inquiry)
        .layer(axum::extract::DefaultBodyLimit::max(api::inquiries::INQUIRY_BODY_MAX)))
        .public()
        .returns("Received")
        .multipart(),
    route(M::GET, "/api/v1/inquiries", "List inquiries, newest first (stage)", get(api::inquiries::list))
        .lists("Inquiry")
        .query(&[("stage", "Only inquiries in this pipeline stage")]),
    route(M::GET, "/api/v1/inquiries/{id}", "Read an inquiry with its attachments", get(api::inquiries::get)).returns("Inquiry"),
    route(M::GET, "/api/v1/inquiries/{id}/attachments/{attachment_id}", "Download an attachment", get(api::inquiries::download)),
    ]
}
