//! Handlers of the LMS routes: extract, call the service, shape the response. The only part of
//! the module that sees the web layer.

mod catalog;
mod learning;
mod structure;

pub use catalog::*;
pub use learning::*;
pub use structure::*;
