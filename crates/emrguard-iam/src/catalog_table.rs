// The catalog's name table: used at build time by `build.rs` (which `include!`s this file)
// to lay out the table, and at run time by `catalog.rs` to look names up, so both sides
// hash and probe the same way.

/// FNV-1a over the ASCII-lowercased bytes, with a final mix so that the low bits (which
/// pick the slot) depend on every byte.
fn hash_no_case(name: &str) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    });
    let h = (h ^ (h >> 32)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^ (h >> 29)
}

/// In an open-addressing table (`slots` hold an action index + 1, 0 is an empty slot, the
/// length is a power of two), the slot holding `name` (compared case-insensitively with the
/// names `held` gives for indexes), or the empty slot where it belongs.
fn probe_slot<'a>(
    slots: &[u32],
    name: &str,
    held: impl Fn(usize) -> Option<&'a str>,
) -> Option<usize> {
    let mask = slots.len().checked_sub(1)?;
    // Truncation is intended: only the low bits pick the slot.
    #[allow(clippy::cast_possible_truncation)]
    let mut slot = hash_no_case(name) as usize & mask;
    for _ in 0..slots.len() {
        let value = *slots.get(slot)?;
        if value == 0 {
            return Some(slot);
        }
        if held(value as usize - 1)?.eq_ignore_ascii_case(name) {
            return Some(slot);
        }
        slot = (slot + 1) & mask;
    }
    None
}

/// The table of `names` (twice as many slots as names, at least 16); a later name equal to
/// an earlier one (ignoring case) replaces it.
#[cfg_attr(not(test), allow(dead_code))] // The catalog's table is laid out by build.rs.
fn name_slots(names: &[&str]) -> Vec<u32> {
    let size = (names.len() * 2).next_power_of_two().max(16);
    let mut slots = vec![0; size];
    for (i, name) in names.iter().enumerate() {
        let Ok(value) = u32::try_from(i + 1) else {
            break;
        };
        let slot = probe_slot(&slots, name, |j| names.get(j).copied());
        if let Some(s) = slot.and_then(|s| slots.get_mut(s)) {
            *s = value;
        }
    }
    slots
}
