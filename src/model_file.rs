//! The model file: how a [`LeadModel`] travels between people and machines.
//!
//! Written by `train` and `threshold`, read by `score`, `evaluate`, `threshold`,
//! `compare` and `report`. Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | magic `LEADSCOR` |
//! | 8..12 | format version (u32), currently [`FORMAT_VERSION`] |
//! | 12..20 | payload length in bytes (u64) |
//! | 20..52 | SHA-256 of the payload |
//! | 52.. | payload: the model, bincode 2 (serde, standard configuration); from version 2, then its extras |
//!
//! Version 2's extras hold how the training rows were sampled ([`ExtrasV2`]); version 3's
//! ([`Extras`]) add the reference profile for `monitor` and the calibration map. Every model trained from this
//! version on has a profile and is written as version 3; versions 1 and 2 still load
//! (without a profile: `monitor` asks for a retrain). Version 4 appends a segmented
//! model's per-segment weights (`train --segment-by`) after version 3's extras; models
//! without segments are still written as version 3. Version 5 (issue 33) appends, after
//! version 3's extras, the segments as an option and then the model's record
//! ([`crate::model::record::Record`]: the training settings, the saved fit, the figures,
//! the warnings, the ids seen); every model `train` writes from then on has one. Version
//! 6 (issue 36) appends, after version 5's layout, whether numbers and dates beyond the
//! training range read as the edge ([`ExtrasV6`]); a model that reads them on its fitted
//! line, as every model before it, is still written as version 5 with the same bytes.
//! Version 7 (issue 36, part 3) appends, after version 6's, the `--interactions` setting
//! and the model's pairwise interactions ([`ExtrasV7`]); a model trained with
//! `--interactions off` is still written as version 6 or 5.
//!
//! Reading checks, in order and before allocating anything large: the file size against
//! [`MAX_MODEL_BYTES`], the magic, the version, the payload length against the file
//! size, the checksum, then decodes with bincode's byte limit and validates the model's
//! internal consistency. Each failure is a clear error, never a panic.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::data::atomic_write;
use crate::error::{Error, Result};
use crate::model::LeadModel;

pub const MAGIC: &[u8; 8] = b"LEADSCOR";
pub const FORMAT_VERSION: u32 = 7;

/// What version 7 adds after version 6's extras: the `--interactions` setting and the
/// model's pairs (issue 36).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct ExtrasV7 {
    interactions: String,
    pairs: Vec<crate::features::pair::PairTerm>,
}

/// What version 6 adds after version 5's record: how the model reads a number or date
/// beyond its training range (issue 36).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct ExtrasV6 {
    /// Read as the edge of the range (else on the fitted line, as every older file).
    clamp: bool,
    /// The settings' `--rare-levels` was `shrink` (it shaped the fit, not the scoring).
    shrink_rare: bool,
}

/// What version 2 adds after the model.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct ExtrasV2 {
    sample: Option<crate::sample::SampleInfo>,
}

/// What version 3 adds after the model.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Extras {
    sample: Option<crate::sample::SampleInfo>,
    profile: Option<crate::features::profile::Profile>,
    calibration: crate::calibrate::Calibration,
}
const HEADER: usize = 8 + 4 + 8 + 32;
/// Largest model file read (256 MiB); a larger one is refused before reading.
pub const MAX_MODEL_BYTES: u64 = 256 << 20;

fn config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ 256 << 20 }>,
> {
    bincode::config::standard().with_limit::<{ 256 << 20 }>()
}

/// Encode a model into the file format's bytes.
pub fn to_bytes(model: &LeadModel) -> Result<Vec<u8>> {
    let enc = |e| Error::Internal(format!("encoding the model: {e}"));
    let mut payload = bincode::serde::encode_to_vec(model, config()).map_err(enc)?;
    // The oldest version that holds what the model has, so that older files keep their
    // bytes when rewritten (`threshold`).
    let version: u32 = if model.record.is_some()
        || model.segments.is_some()
        || model.profile.is_some()
        || model.calibration != crate::calibrate::Calibration::None
    {
        payload.extend(
            bincode::serde::encode_to_vec(
                Extras {
                    sample: model.sample.clone(),
                    profile: model.profile.clone(),
                    calibration: model.calibration.clone(),
                },
                config(),
            )
            .map_err(enc)?,
        );
        let clamp = model.features.clamps()
            || model.record.as_ref().is_some_and(|r| r.settings.beyond_range == crate::features::BeyondRange::Edge);
        let shrink_rare =
            model.record.as_ref().is_some_and(|r| r.settings.rare_levels == crate::features::RareLevels::Shrink);
        match (&model.segments, &model.record) {
            (segments, Some(record)) => {
                payload.extend(bincode::serde::encode_to_vec(segments, config()).map_err(enc)?);
                payload.extend(bincode::serde::encode_to_vec(record, config()).map_err(enc)?);
                let interactions = record.settings.interactions.clone();
                let v7 = !model.pairs.is_empty() || (!interactions.is_empty() && interactions != "off");
                if clamp || shrink_rare || v7 {
                    payload
                        .extend(bincode::serde::encode_to_vec(ExtrasV6 { clamp, shrink_rare }, config()).map_err(enc)?);
                    if v7 {
                        let extras = ExtrasV7 { interactions, pairs: model.pairs.clone() };
                        payload.extend(bincode::serde::encode_to_vec(extras, config()).map_err(enc)?);
                        7
                    } else {
                        6
                    }
                } else {
                    5
                }
            }
            (_, None) if !model.pairs.is_empty() => {
                return Err(Error::Internal("a model with pairs has no record".into()))
            }
            (_, None) if clamp || shrink_rare => {
                return Err(Error::Internal("a model that reads beyond its range as the edge has no record".into()))
            }
            (Some(segments), None) => {
                payload.extend(bincode::serde::encode_to_vec(segments, config()).map_err(enc)?);
                4
            }
            (None, None) => 3,
        }
    } else if model.sample.is_some() {
        payload
            .extend(bincode::serde::encode_to_vec(ExtrasV2 { sample: model.sample.clone() }, config()).map_err(enc)?);
        2
    } else {
        1
    };
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decode a model from the file format's bytes; `path` names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<LeadModel> {
    let corrupt = |m: String| Error::CorruptModel { path: path.to_path_buf(), message: m };
    if bytes.len() < MAGIC.len() {
        if !bytes.is_empty() && MAGIC.starts_with(bytes) {
            return Err(corrupt(format!("truncated after {} bytes", bytes.len())));
        }
        return Err(Error::NotAModel { path: path.to_path_buf() });
    }
    if &bytes[..8] != MAGIC {
        return Err(Error::NotAModel { path: path.to_path_buf() });
    }
    if bytes.len() < HEADER {
        return Err(corrupt(format!("truncated: {} bytes, shorter than the {HEADER}-byte header", bytes.len())));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version > FORMAT_VERSION {
        return Err(Error::ModelTooNew { path: path.to_path_buf(), found: version, supported: FORMAT_VERSION });
    }
    if version == 0 {
        return Err(corrupt("format version 0 does not exist".into()));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&bytes[12..20]);
    let len = u64::from_le_bytes(len_bytes);
    let have = (bytes.len() - HEADER) as u64;
    if len != have {
        return Err(corrupt(format!(
            "the header announces {len} payload bytes but the file holds {have}{}",
            if have < len { " (truncated)" } else { "" }
        )));
    }
    let payload = &bytes[HEADER..];
    if Sha256::digest(payload).as_slice() != &bytes[20..52] {
        return Err(corrupt("checksum mismatch: the file was changed or damaged after it was written".into()));
    }
    let (mut model, mut used): (LeadModel, usize) = bincode::serde::decode_from_slice(payload, config())
        .map_err(|e| corrupt(format!("cannot decode the model: {e}")))?;
    let extras_err = |e| corrupt(format!("cannot decode the model's extras: {e}"));
    if version == 2 {
        let (extras, more): (ExtrasV2, usize) =
            bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
        model.sample = extras.sample;
        used += more;
    } else if version >= 3 {
        let (extras, more): (Extras, usize) =
            bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
        model.sample = extras.sample;
        model.profile = extras.profile;
        model.calibration = extras.calibration;
        used += more;
        if version >= 5 {
            let (segments, more): (Option<crate::model::segments::Segments>, usize) =
                bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
            model.segments = segments;
            used += more;
            let (record, more): (crate::model::record::Record, usize) =
                bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
            model.record = Some(record);
            used += more;
            let v6 = if version >= 6 {
                let (v6, more): (ExtrasV6, usize) =
                    bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
                used += more;
                v6
            } else {
                ExtrasV6::default()
            };
            let v7 = if version >= 7 {
                let (v7, more): (ExtrasV7, usize) =
                    bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
                used += more;
                v7
            } else {
                ExtrasV7 { interactions: "off".into(), pairs: Vec::new() }
            };
            model.pairs = v7.pairs;
            model.features.set_clamp(v6.clamp);
            if let Some(r) = model.record.as_mut() {
                r.settings.interactions = v7.interactions;
                use crate::features::{BeyondRange, RareLevels};
                r.settings.beyond_range = if v6.clamp { BeyondRange::Edge } else { BeyondRange::Extend };
                r.settings.rare_levels = if v6.shrink_rare { RareLevels::Shrink } else { RareLevels::Standardise };
            }
        } else if version >= 4 {
            let (segments, more): (crate::model::segments::Segments, usize) =
                bincode::serde::decode_from_slice(&payload[used..], config()).map_err(extras_err)?;
            model.segments = Some(segments);
            used += more;
        }
    }
    if used != payload.len() {
        return Err(corrupt(format!("{} unexpected bytes after the model", payload.len() - used)));
    }
    model.validate().map_err(|m| corrupt(format!("inconsistent model: {m}")))?;
    Ok(model)
}

/// Write a model file atomically (temporary file, then rename).
pub fn save(model: &LeadModel, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    atomic_write(path, |w| {
        use std::io::Write;
        w.write_all(&bytes).map_err(|e| Error::write(path, e))
    })
}

/// Read and check a model file.
pub fn load(path: &Path) -> Result<LeadModel> {
    load_with_bytes(path).map(|(m, _)| m)
}

/// [`load`], with the file's SHA-256 (hex), which names the model in exported queries
/// and in the changes `score --state` writes.
pub fn load_with_checksum(path: &Path) -> Result<(LeadModel, String)> {
    load_with_info(path).map(|(model, info)| (model, info.checksum))
}

/// What a model file is, beside the model: for `inspect` and the model history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileInfo {
    /// SHA-256 of the whole file (hex): the model's checksum everywhere.
    pub checksum: String,
    pub format_version: u32,
    pub bytes: u64,
}

/// [`load`], with the file's checksum, format version and size.
pub fn load_with_info(path: &Path) -> Result<(LeadModel, FileInfo)> {
    let (model, bytes) = load_with_bytes(path)?;
    let format_version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let info =
        FileInfo { checksum: crate::data::hex(&Sha256::digest(&bytes)), format_version, bytes: bytes.len() as u64 };
    Ok((model, info))
}

fn load_with_bytes(path: &Path) -> Result<(LeadModel, Vec<u8>)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::read(path, e))?;
    if meta.is_dir() {
        return Err(Error::NotAModel { path: path.to_path_buf() });
    }
    if meta.len() > MAX_MODEL_BYTES {
        return Err(Error::CorruptModel {
            path: path.to_path_buf(),
            message: format!("{} bytes is larger than the {MAX_MODEL_BYTES}-byte limit for model files", meta.len()),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::read(path, e))?;
    Ok((from_bytes(&bytes, path)?, bytes))
}
