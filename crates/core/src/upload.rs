//! Rules for files people upload: which types, how large, how many. Types are judged by
//! content (magic bytes), never by the name or the declared type.

/// The largest single file: 32 MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// The most files one inquiry may carry.
pub const MAX_FILES: usize = 5;
/// Bytes needed to recognise every accepted type.
pub const SNIFF_BYTES: usize = 8;

/// An accepted file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Jpeg,
    Png,
}

impl MediaType {
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }
}

/// Recognises a file from its first bytes.
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    if head.starts_with(b"%PDF-") {
        Some(MediaType::Pdf)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaType::Jpeg)
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(MediaType::Png)
    } else {
        None
    }
}

/// A file name safe to show and to send back in a header: its last path segment, without
/// control characters, bidirectional controls (U+202E makes `gnp.exe` read `exe.png`) or
/// quotes, at most 200 characters; `attachment` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = crate::text::strip_invisible(last)
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(200)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        "attachment".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_judged_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(MediaType::Pdf));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some(MediaType::Png)
        );
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(
            sniff(b"MZ\x90\x00"),
            None,
            "an executable named .pdf is still refused"
        );
        assert_eq!(sniff(b"%PD"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G']),
            None,
            "a truncated signature is not a PNG"
        );
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\me\\scan.pdf"), "scan.pdf");
        assert_eq!(clean_file_name("a\"b;\nc.png"), "abc.png");
        assert_eq!(clean_file_name(".hidden"), "hidden");
        assert_eq!(clean_file_name("photo\u{202e}gnp.exe"), "photognp.exe");
        assert_eq!(clean_file_name("\u{2066}a.pdf\u{2069}"), "a.pdf");
        assert_eq!(clean_file_name(""), "attachment");
        assert_eq!(clean_file_name(&"x".repeat(300)).len(), 200);
    }
}
