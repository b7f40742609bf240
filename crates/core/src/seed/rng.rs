//! A small deterministic generator: every row draws from its own stream, keyed by the seed,
//! the table and the row id, so rows come out the same whatever order threads make them in.

/// SplitMix64: tiny, fast and good enough for test data; its output is fixed forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn for_row(seed: u64, table: u64, id: u64) -> Self {
        let mut r = Rng(seed ^ table.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.0 ^= r.next_u64() ^ id.wrapping_mul(0xD1B5_4A32_D192_ED03);
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    pub fn range(&mut self, lo: i64, hi_inclusive: i64) -> i64 {
        lo + self.below((hi_inclusive - lo + 1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks by weight: `items` are `(weight, value)`.
    pub fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut at = self.below(total as u64) as u32;
        for (w, v) in items {
            if at < *w {
                return *v;
            }
            at -= w;
        }
        items[items.len() - 1].1
    }

    /// A skewed pick in [1, n]: low values are much likelier (the few heavy users).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        1 + ((n as f64) * u * u * u) as u64 % n.max(1)
    }

    /// Exponential with the given mean, as a count.
    pub fn exponential(&mut self, mean: f64) -> u64 {
        (-(1.0 - self.unit()).ln() * mean) as u64
    }

    /// A two-decimal value in [lo, hi], as DECIMAL text.
    pub fn decimal(&mut self, lo: f64, hi: f64) -> String {
        format!("{:.2}", lo + self.unit() * (hi - lo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_row_always_draws_the_same_numbers() {
        let a: Vec<u64> = (0..4).map(|_| Rng::for_row(7, 1, 42).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_row(7, 1, 42).next_u64(),
            Rng::for_row(7, 1, 43).next_u64()
        );
        assert_ne!(
            Rng::for_row(7, 1, 42).next_u64(),
            Rng::for_row(8, 1, 42).next_u64()
        );
    }

    #[test]
    fn skewed_picks_stay_in_range_and_favour_small_ids() {
        let mut r = Rng::for_row(1, 2, 3);
        let picks: Vec<u64> = (0..10_000).map(|_| r.skewed(1000)).collect();
        assert!(picks.iter().all(|p| (1..=1000).contains(p)));
        let low = picks.iter().filter(|p| **p <= 100).count();
        assert!(
            low > 3_000,
            "a cubic skew puts nearly half the picks in the first tenth, got {low}"
        );
    }
}
