//! Fuzz the model-file reader: arbitrary bytes must give a model or a clear error, never
//! a panic or a giant allocation. Inputs whose first byte is odd are wrapped in a valid
//! header (magic, version, length, checksum) so that the decoder and the model's
//! consistency checks behind the checksum are reached too.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.model");
    match data.first() {
        Some(b) if b % 2 == 1 => {
            let payload = &data[1..];
            let mut bytes = Vec::with_capacity(52 + payload.len());
            bytes.extend_from_slice(leadscore::model_file::MAGIC);
            bytes.extend_from_slice(&leadscore::model_file::FORMAT_VERSION.to_le_bytes());
            bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            bytes.extend_from_slice(&Sha256::digest(payload));
            bytes.extend_from_slice(payload);
            let _ = leadscore::model_file::from_bytes(&bytes, path);
        }
        _ => {
            let _ = leadscore::model_file::from_bytes(data, path);
        }
    }
});
