//! Hash maps and sets with foldhash's hash, seeded per map like the standard ones: much
//! faster than the standard SipHash on the short keys (names, ARNs, interned ids) the engines
//! look up millions of times. Nothing may depend on their iteration order (as with the
//! standard ones, whose seed changes with every run).

/// A [`std::collections::HashMap`] with foldhash's hash; make one with `HashMap::default()`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A [`std::collections::HashSet`] with foldhash's hash; make one with `HashSet::default()`.
pub type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
