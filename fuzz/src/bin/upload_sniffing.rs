//! AFL entry point; the target itself is `openiop_fuzz::upload_sniffing`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        openiop_fuzz::upload_sniffing(data);
    });
}
