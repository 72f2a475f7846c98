//! AFL entry point; the target itself is `openiop_fuzz::instrument_answers`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        openiop_fuzz::instrument_answers(data);
    });
}
