//! AFL entry point; the target itself is `openiop_fuzz::schedule_request`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        openiop_fuzz::schedule_request(data);
    });
}
