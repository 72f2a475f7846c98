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

/// How much of a file's start [`inspect`] reads (the structure it checks lies there: a PDF's
/// header, a PNG's IHDR, a JPEG's frame header after its metadata segments).
pub const HEAD_BYTES: usize = 128 * 1024;
/// How much of a file's end [`inspect`] reads (a PDF's trailer, a PNG's IEND, a JPEG's EOI).
pub const TAIL_BYTES: usize = 1024;
/// The largest image accepted, in pixels (100 megapixels), and on either side: a small file
/// declaring 50,000 x 50,000 pixels is a decompression bomb for whoever opens it.
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;
pub const MAX_IMAGE_SIDE: u32 = 30_000;

/// Checks more than the magic number: that a file is built as its type says, from its first
/// [`HEAD_BYTES`] and last [`TAIL_BYTES`] (both may be the whole file). A PDF has a version
/// header, objects, and a trailer (`startxref`, `%%EOF`), and nothing executable, archived
/// or HTML right behind its header; a PNG has its IHDR first and IEND last; a JPEG has a
/// frame header and ends with EOI; images declare at most [`MAX_IMAGE_PIXELS`]. The error
/// says what is wrong, in words for the person who sent the file.
pub fn inspect(kind: MediaType, head: &[u8], tail: &[u8]) -> Result<(), String> {
    match kind {
        MediaType::Pdf => inspect_pdf(head, tail),
        MediaType::Png => inspect_png(head, tail),
        MediaType::Jpeg => inspect_jpeg(head, tail),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn inspect_pdf(head: &[u8], tail: &[u8]) -> Result<(), String> {
    let broken =
        || Err("is not a complete PDF (its header, objects or trailer are missing)".into());
    let version = head.get(5..8).unwrap_or_default();
    if !(version.len() == 3
        && version[0].is_ascii_digit()
        && version[1] == b'.'
        && version[2].is_ascii_digit())
    {
        return broken();
    }
    // Behind the header line: no executable, archive or web page dressed up as a PDF.
    let start = &head[..head.len().min(1024)];
    let after_header = start
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(&start[..0], |i| &start[i + 1..]);
    let lower = start.to_ascii_lowercase();
    let disguised = [&b"MZ"[..], b"\x7fELF", b"PK\x03\x04", b"\x1f\x8b"]
        .iter()
        .any(|magic| after_header.starts_with(magic))
        || [&b"PK\x03\x04"[..], b"\x7fELF"]
            .iter()
            .any(|magic| contains(start, magic))
        || [&b"<html"[..], b"<script", b"<!doctype"]
            .iter()
            .any(|tag| contains(&lower, tag));
    if disguised {
        return Err("is not a PDF: something else hides behind its header".into());
    }
    if !contains(head, b"obj") || !contains(tail, b"startxref") || !contains(tail, b"%%EOF") {
        return broken();
    }
    Ok(())
}

fn image_size(width: u64, height: u64) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("declares an empty image".into());
    }
    if width > u64::from(MAX_IMAGE_SIDE)
        || height > u64::from(MAX_IMAGE_SIDE)
        || width * height > MAX_IMAGE_PIXELS
    {
        return Err(format!(
            "declares {width} x {height} pixels; images may have at most {} megapixels",
            MAX_IMAGE_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn inspect_png(head: &[u8], tail: &[u8]) -> Result<(), String> {
    let broken = || Err("is not a complete PNG image".to_owned());
    if head.get(8..16) != Some(&[0, 0, 0, 13, b'I', b'H', b'D', b'R'][..]) {
        return broken();
    }
    let word = |at: usize| -> Option<u64> {
        let b = head.get(at..at + 4)?;
        Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    };
    let (Some(width), Some(height)) = (word(16), word(20)) else {
        return broken();
    };
    image_size(width, height)?;
    if !tail.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]) {
        return broken();
    }
    Ok(())
}

fn inspect_jpeg(head: &[u8], tail: &[u8]) -> Result<(), String> {
    let broken = || Err("is not a complete JPEG image".to_owned());
    // The end of image, allowing a little padding after it.
    let end = &tail[tail.len().saturating_sub(64)..];
    if !end.windows(2).any(|w| w == [0xFF, 0xD9]) {
        return broken();
    }
    // Walk the marker segments to the frame header (SOF0-SOF15 but DHT, JPG and DAC).
    let mut at = 2;
    loop {
        let (Some(&0xFF), Some(&marker)) = (head.get(at), head.get(at + 1)) else {
            return broken();
        };
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let Some(len) = head
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return broken();
        };
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let Some(b) = head.get(at + 5..at + 9) else {
                return broken();
            };
            let height = u64::from(u16::from_be_bytes([b[0], b[1]]));
            let width = u64::from(u16::from_be_bytes([b[2], b[3]]));
            return image_size(width, height);
        }
        if marker == 0xDA || marker == 0xD9 || len < 2 {
            // Image data or the end before any frame header.
            return broken();
        }
        at += 2 + len;
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

    fn pdf() -> Vec<u8> {
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 1\ntrailer << >>\nstartxref\n9\n%%EOF\n"
            .to_vec()
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        b
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 8]);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]);
        b
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        let kind = sniff(bytes).ok_or("not sniffed")?;
        let tail = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
        inspect(kind, &bytes[..bytes.len().min(HEAD_BYTES)], tail)
    }

    #[test]
    fn well_formed_files_pass() {
        assert_eq!(check(&pdf()), Ok(()));
        assert_eq!(check(&png(1200, 900)), Ok(()));
        assert_eq!(check(&jpeg(4000, 3000)), Ok(()));
    }

    #[test]
    fn more_than_the_magic_number_is_checked() {
        // A PDF header in front of an executable, a web page or a zip bomb.
        for behind in [
            &b"MZ\x90\x00"[..],
            b"PK\x03\x04\x14\x00",
            b"<html><script>alert(1)</script>",
        ] {
            let mut file = b"%PDF-1.4\n".to_vec();
            file.extend_from_slice(behind);
            file.extend_from_slice(b"\nstartxref\n0\n%%EOF\n1 0 obj");
            assert!(check(&file).unwrap_err().contains("hides"), "{behind:?}");
        }
        assert!(check(b"%PDF-1.4 test").is_err(), "no trailer");
        assert!(
            check(b"%PDF-x.y\n1 0 obj\nstartxref\n%%EOF").is_err(),
            "no version"
        );
        let mut truncated = pdf();
        truncated.truncate(40);
        assert!(check(&truncated).is_err());
        // A tiny PNG declaring 50,000 x 50,000 pixels.
        assert!(
            check(&png(50_000, 50_000))
                .unwrap_err()
                .contains("megapixels")
        );
        assert!(check(&png(20_000, 20_000)).is_err(), "400 megapixels");
        assert!(check(&png(0, 10)).is_err());
        let mut cut = png(10, 10);
        cut.truncate(30);
        assert!(check(&cut).is_err(), "no IEND");
        assert!(
            check(&jpeg(60_000, 60_000))
                .unwrap_err()
                .contains("megapixels")
        );
        let mut cut = jpeg(10, 10);
        cut.truncate(20);
        assert!(check(&cut).is_err());
        assert!(check(&[0xFF, 0xD8, 0xFF, 0xD9]).is_err(), "no frame header");
    }

    proptest::proptest! {
        #[test]
        fn inspection_never_panics(head in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            for kind in [MediaType::Pdf, MediaType::Png, MediaType::Jpeg] {
                let _ = inspect(kind, &head, &head);
            }
        }
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
