//! Remote engines: inference servers that make the pictures ([`images`]) or speak the notes
//! ([`speech`]) instead of this machine, over a shared pooled, retrying HTTP [`client`].
//! Everything else (cache keys, incremental builds, atomic output) stays as it is for local
//! engines; a request that fails is never cached.

pub mod client;
pub mod images;
pub mod speech;
