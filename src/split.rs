//! How the held-out rows are chosen: the one definition that training's split
//! ([`crate::train`]) and the resolution choice's folds ([`crate::resolution`], forward
//! in time when the holdout is) both read. It sits below both so that neither imports
//! the other for it.

/// How the held-out rows are chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// Stratified random split (seeded): the same share of won leads on both sides.
    Stratified,
    /// The most recent rows by this date column.
    ByDate(String),
    /// The last rows in file order (exports are often in date order).
    Last,
}
