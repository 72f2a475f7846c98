//! AFL entry point; the target itself is `openiop_fuzz::consent_input`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        openiop_fuzz::consent_input(data);
    });
}
