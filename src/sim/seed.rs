//! Independent random streams derived from one master seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A ChaCha8 stream for the component called `name`.
///
/// The component name is hashed (FNV-1a, stable across platforms and Rust
/// versions) together with the master seed, so adding a stream or a strategy
/// never shifts the numbers another component draws.
pub fn stream(master: u64, name: &str) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = master ^ h.rotate_left(17);
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    ChaCha8Rng::from_seed(seed)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_name_same_numbers_other_name_other_numbers() {
        let a: u64 = stream(42, "stream/chat").random();
        let b: u64 = stream(42, "stream/chat").random();
        let c: u64 = stream(42, "stream/batch").random();
        let d: u64 = stream(43, "stream/chat").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }
}
