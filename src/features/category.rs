//! The category role: free text with few distinct values (industry, country, source).
//! Trimmed and case-folded; one [`LevelPart`](super::part::LevelPart) with rare levels
//! pooled as "(other)" and placeholders as "(missing)".

use std::borrow::Cow;

use super::kind::{CatKind, Kind, PartSpec, Role};

pub(crate) struct Category;

impl Kind for Category {
    fn role(&self) -> Role {
        Role::Category
    }
    fn parts(&self, column: &str, _format: Option<crate::format::ColumnFormat>) -> Vec<PartSpec> {
        vec![PartSpec::Levels(CatKind::Text, column.to_string())]
    }
}

/// The level of a cleaned cell: its lower-case text.
pub(crate) fn level(s: &str) -> Cow<'_, str> {
    Cow::Owned(s.to_lowercase())
}

/// The rules-file condition for a level.
pub(crate) fn rule_condition(level: &str) -> String {
    format!("equals = {}", toml::Value::String(level.to_string()))
}

/// The SQL level of a cleaned text cell, as [`level`] makes it.
pub(crate) fn sql_level(cell: &str) -> String {
    format!("LOWER({cell})")
}
