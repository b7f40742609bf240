//! Sizes and durations as a person reads them, the same rules as the window's `format.ts`:
//! sizes in binary units (what servers and disks report), durations in at most two units.

/// `0 B`, `1023 B`, `1.5 KiB`, `12 MiB`, `1.2 GiB`: one decimal below ten of a unit.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{n} B");
    }
    // 1023.96 KiB would print as "1024.0 KiB": the next unit instead.
    if (v * 10.0).round() / 10.0 >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// `850 ms`, `4.2 s`, `42 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "—".to_owned();
    }
    if seconds < 0.0 {
        return format!("-{}", duration(-seconds));
    }
    if seconds == 0.0 {
        return "0 s".to_owned();
    }
    if seconds < 1.0 {
        return format!("{:.0} ms", seconds * 1000.0);
    }
    if seconds < 60.0 {
        return if seconds < 10.0 && seconds.fract() != 0.0 {
            format!("{seconds:.1} s")
        } else {
            format!("{seconds:.0} s")
        };
    }
    let total = seconds.round() as u64;
    let parts = [
        (total / 86_400, "d"),
        (total % 86_400 / 3_600, "h"),
        (total % 3_600 / 60, "min"),
        (total % 60, "s"),
    ];
    let first = parts.iter().position(|(v, _)| *v > 0).unwrap_or(3);
    let mut out = format!("{} {}", parts[first].0, parts[first].1);
    if let Some((v, unit)) = parts.get(first + 1).filter(|(v, _)| *v > 0) {
        out.push_str(&format!(" {v} {unit}"));
    }
    out
}

/// A Redis TTL in seconds: `-1` is no expiry, `-2` a key gone.
pub fn ttl(seconds: i64) -> String {
    match seconds {
        -1 => "none".to_owned(),
        s if s < 0 => "gone".to_owned(),
        s => duration(s as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_binary_and_never_below_their_unit() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(bytes(1_270_000_000), "1.2 GiB");
        assert_eq!(bytes(1024 * 1024 - 1), "1.0 MiB");
    }

    #[test]
    fn durations_keep_two_units_at_most() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(0.85), "850 ms");
        assert_eq!(duration(4.2), "4.2 s");
        assert_eq!(duration(5.0), "5 s");
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(180.0), "3 min");
        assert_eq!(duration(3599.0), "59 min 59 s");
        assert_eq!(duration(7_500.0), "2 h 5 min");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3_600.0 + 59.0), "3 d 4 h");
    }
}
