//! AFL entry point; the target itself is `openiop_fuzz::multipart_inquiry`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        openiop_fuzz::multipart_inquiry(data);
    });
}
