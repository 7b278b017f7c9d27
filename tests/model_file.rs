//! The model file: round trip, and clear errors for damaged, foreign or newer files.

use crate::common::Scratch;
use leadscore::model_file::{from_bytes, to_bytes, FORMAT_VERSION};
use leadscore::Error;
use sha2::Digest;

fn model_bytes(s: &Scratch) -> Vec<u8> {
    s.synth("leads.csv", 800, 31);
    s.trained_model("leads.csv", "m.bin");
    std::fs::read(s.path("m.bin")).unwrap()
}

#[test]
fn round_trips_exactly() {
    let s = Scratch::new();
    let bytes = model_bytes(&s);
    let m = from_bytes(&bytes, &s.path("m.bin")).unwrap();
    assert_eq!(to_bytes(&m).unwrap(), bytes);
}

#[test]
fn rejects_model_file_truncated_at_any_length() {
    let s = Scratch::new();
    let bytes = model_bytes(&s);
    let step = (bytes.len() / 50).max(1);
    for cut in (0..bytes.len()).step_by(step) {
        let r = from_bytes(&bytes[..cut], &s.path("m.bin"));
        assert!(matches!(r, Err(Error::CorruptModel { .. }) | Err(Error::NotAModel { .. })), "cut {cut}: {r:?}");
    }
}

#[test]
fn rejects_model_file_with_flipped_byte() {
    let s = Scratch::new();
    let bytes = model_bytes(&s);
    for pos in [20, 60, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let e = from_bytes(&b, &s.path("m.bin")).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{pos}: {e}");
    }
}

#[test]
fn rejects_newer_format_version() {
    let s = Scratch::new();
    let mut bytes = model_bytes(&s);
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(s.path("new.bin"), &bytes).unwrap();
    s.run(&["score", "--model", "new.bin", "--data", "leads.csv", "--output", "s.csv"])
        .assert_bad_input(&["new.bin", &format!("format version {} is newer", FORMAT_VERSION + 1)]);
}

#[test]
fn rejects_model_claiming_a_billion_features_without_allocating() {
    // A payload with a valid checksum whose first vector claims 10^9 elements.
    let s = Scratch::new();
    let mut payload = vec![0u8];
    payload.push(252); // bincode varint: u32 follows
    payload.extend_from_slice(&1_000_000_000u32.to_le_bytes());
    payload.extend_from_slice(&[0u8; 64]);
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"LEADSCOR");
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&sha2::Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    let e = from_bytes(&bytes, &s.path("big.bin")).unwrap_err();
    assert!(matches!(e, Error::CorruptModel { .. }), "{e}");
    assert!(e.to_string().contains("cannot decode"), "{e}");
}
