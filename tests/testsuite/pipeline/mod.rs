//! Whole builds: the cache and incremental rebuilds, the command line, and bad input.

mod bad_input;
mod builds;
