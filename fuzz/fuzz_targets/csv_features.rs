//! Fuzz the CSV-to-features path: arbitrary bytes written as a CSV file are loaded,
//! the last column is taken as the label, and the feature pipeline is fitted and
//! applied. Every input must give features or a clear error, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use leadscore::data;
use leadscore::features::FeatureParams;
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("leadscore-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch dir");
        d
    })
}

fuzz_target!(|bytes: &[u8]| {
    let path = scratch().join("input.csv");
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    let Ok(table) = data::load(&path) else { return };
    let names = table.column_names();
    let Some(label) = names.last().cloned() else { return };
    let Ok((labels, _, _)) = data::read_label(&table, &label, None) else { return };
    let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i].is_some()).collect();
    let y: Vec<bool> = rows.iter().map(|&i| labels[i] == Some(true)).collect();
    if rows.is_empty() {
        return;
    }
    let Ok((features, _)) = FeatureParams::new(&label).fit(&table, &rows, &y) else { return };
    if let Ok(x) = features.transform(&table, features.as_of_day) {
        assert!(x.iter().all(|v| v.is_finite()), "non-finite design matrix value");
    }
});
