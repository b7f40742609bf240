//! Values rendered as SQL literals on the client, from the binary protocol's own bytes: the
//! server only reads rows (no QUOTE/CONCAT per value), and numbers arrive exactly (a FLOAT is
//! four IEEE bytes, not six printed digits). Every literal stays on one line, so a data file
//! keeps one statement per line and `zstdcat | mysql` loads it too.

/// How one column's values are written, decided once per table from `information_schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Render {
    /// TINYINT … BIGINT, little-endian, sign-extended.
    Signed,
    /// Their UNSIGNED forms, and YEAR.
    Unsigned,
    /// FLOAT: four bytes, written as the exact double they widen to.
    Float,
    /// DOUBLE / REAL.
    Double,
    /// DECIMAL: the server's own digits.
    Decimal,
    /// DATE, DATETIME, TIMESTAMP: the protocol's date struct.
    DateTime,
    /// TIME: the protocol's time struct, negative and over 24 h included.
    Time,
    /// BIT: big-endian bytes, written as the number they hold.
    Bit,
    /// Character data in the connection's utf8mb4: a quoted, escaped string.
    Text,
    /// Bytes: BINARY, VARBINARY, BLOBs, spatial types, written as X'hex'.
    Bytes,
}

impl Render {
    /// From `information_schema.COLUMNS` (`DATA_TYPE`, `COLUMN_TYPE`).
    pub(super) fn of(data_type: &str, column_type: &str) -> Render {
        let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
        match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" if unsigned => {
                Render::Unsigned
            }
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => Render::Signed,
            "year" => Render::Unsigned,
            "float" => Render::Float,
            "double" | "real" | "double precision" => Render::Double,
            "decimal" | "numeric" => Render::Decimal,
            "date" | "datetime" | "timestamp" => Render::DateTime,
            "time" => Render::Time,
            "bit" => Render::Bit,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob"
            | "geometry" | "point" | "linestring" | "polygon" | "multipoint"
            | "multilinestring" | "multipolygon" | "geometrycollection" => Render::Bytes,
            _ => Render::Text,
        }
    }

    /// Appends the literal for `raw` (the value's bytes in a binary-protocol row) to `out`.
    pub(super) fn write(self, raw: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let bad = || format!("a {self:?} value of {} bytes", raw.len());
        match self {
            Render::Signed => {
                let value = match raw.len() {
                    1 => raw[0] as i8 as i64,
                    2 => i16::from_le_bytes([raw[0], raw[1]]) as i64,
                    4 => i32::from_le_bytes(raw.try_into().map_err(|_| bad())?) as i64,
                    8 => i64::from_le_bytes(raw.try_into().map_err(|_| bad())?),
                    _ => return Err(bad()),
                };
                if value < 0 {
                    out.push(b'-');
                }
                write_digits(value.unsigned_abs(), 1, out);
            }
            Render::Unsigned => {
                if raw.len() > 8 || raw.is_empty() {
                    return Err(bad());
                }
                let mut bytes = [0u8; 8];
                bytes[..raw.len()].copy_from_slice(raw);
                write_digits(u64::from_le_bytes(bytes), 1, out);
            }
            Render::Float => {
                let value = f32::from_le_bytes(raw.try_into().map_err(|_| bad())?);
                write_double(value as f64, out);
            }
            Render::Double => {
                let value = f64::from_le_bytes(raw.try_into().map_err(|_| bad())?);
                write_double(value, out);
            }
            Render::Decimal => {
                if raw.is_empty()
                    || !raw
                        .iter()
                        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.'))
                {
                    return Err(bad());
                }
                out.extend_from_slice(raw);
            }
            Render::DateTime => write_datetime(raw, out).ok_or_else(bad)?,
            Render::Time => write_time(raw, out).ok_or_else(bad)?,
            Render::Bit => {
                if raw.len() > 8 {
                    return Err(bad());
                }
                let value = raw.iter().fold(0u64, |n, b| (n << 8) | *b as u64);
                write_digits(value, 1, out);
            }
            Render::Text => write_quoted(raw, out),
            Render::Bytes => write_hex(raw, out),
        }
        Ok(())
    }
}

/// The shortest decimal that reads back as the same double, in exponent form outside the
/// range where plain digits are shorter. (NaN and infinities cannot be stored.)
fn write_double(value: f64, out: &mut Vec<u8>) {
    use std::io::Write;
    let magnitude = value.abs();
    if value == 0.0 || (1e-5..1e16).contains(&magnitude) {
        write!(out, "{value}")
    } else {
        write!(out, "{value:e}")
    }
    .expect("a Vec takes writes");
}

/// `'YYYY-MM-DD[ HH:MM:SS[.ffffff]]'` from the protocol's length-prefixed date struct; a
/// zero length is the zero date.
fn write_datetime(raw: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (&len, body) = raw.split_first()?;
    if body.len() != len as usize {
        return None;
    }
    // A zero date comes as no bytes at all; `'0000-00-00'` fits DATE, DATETIME and TIMESTAMP.
    let (year, month, day) = match len {
        0 => (0, 0, 0),
        4 | 7 | 11 => (u16::from_le_bytes([body[0], body[1]]), body[2], body[3]),
        _ => return None,
    };
    out.push(b'\'');
    write_digits(year as u64, 4, out);
    out.push(b'-');
    write_digits(month as u64, 2, out);
    out.push(b'-');
    write_digits(day as u64, 2, out);
    if len >= 7 {
        out.push(b' ');
        write_clock(body[4] as u64, body[5], body[6], out);
    }
    if len == 11 {
        let micros = u32::from_le_bytes(body[7..11].try_into().ok()?);
        out.push(b'.');
        write_digits(micros as u64, 6, out);
    }
    out.push(b'\'');
    Some(())
}

/// `'[-]HHH:MM:SS[.ffffff]'` from the protocol's time struct (sign, days, h, m, s, µs).
fn write_time(raw: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let (&len, body) = raw.split_first()?;
    if body.len() != len as usize {
        return None;
    }
    if len == 0 {
        out.extend_from_slice(b"'00:00:00'");
        return Some(());
    }
    if len != 8 && len != 12 {
        return None;
    }
    let negative = body[0] == 1;
    let days = u32::from_le_bytes(body[1..5].try_into().ok()?);
    let hours = days as u64 * 24 + body[5] as u64;
    out.push(b'\'');
    if negative {
        out.push(b'-');
    }
    write_clock(hours, body[6], body[7], out);
    if len == 12 {
        let micros = u32::from_le_bytes(body[8..12].try_into().ok()?);
        out.push(b'.');
        write_digits(micros as u64, 6, out);
    }
    out.push(b'\'');
    Some(())
}

/// `value` in decimal, zero-padded to at least `width` digits. Written by hand: the dump
/// renders millions of numbers and dates, and `core::fmt` was a tenth of its CPU.
fn write_digits(mut value: u64, width: usize, out: &mut Vec<u8>) {
    let mut buf = [b'0'; 20];
    let mut start = buf.len();
    while value > 0 {
        start -= 1;
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    start = start.min(buf.len() - width.clamp(1, buf.len()));
    out.extend_from_slice(&buf[start..]);
}

/// `HH:MM:SS` (hours may run past two digits in a TIME).
fn write_clock(hours: u64, minutes: u8, seconds: u8, out: &mut Vec<u8>) {
    write_digits(hours, 2, out);
    out.push(b':');
    write_digits(minutes as u64, 2, out);
    out.push(b':');
    write_digits(seconds as u64, 2, out);
}

/// A single-quoted string with MySQL's backslash escapes: quotes, backslash, and the bytes
/// that would break a line or a terminal (NUL, LF, CR, Ctrl-Z). Runs of plain bytes are copied
/// whole.
fn write_quoted(raw: &[u8], out: &mut Vec<u8>) {
    out.reserve(raw.len() + 2);
    out.push(b'\'');
    let mut start = 0;
    for (i, &b) in raw.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\'' => b"\\'",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => b"\\0",
            0x1a => b"\\Z",
            _ => continue,
        };
        out.extend_from_slice(&raw[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&raw[start..]);
    out.push(b'\'');
}

fn write_hex(raw: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(raw.len() * 2 + 3);
    out.extend_from_slice(b"X'");
    for &b in raw {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
    out.push(b'\'');
}

#[cfg(test)]
mod tests {
    use super::Render;

    fn shown(render: Render, raw: &[u8]) -> String {
        let mut out = Vec::new();
        render.write(raw, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers_keep_their_sign_and_width() {
        assert_eq!(shown(Render::Signed, &[0x80]), "-128");
        assert_eq!(shown(Render::Signed, &(-32768i16).to_le_bytes()), "-32768");
        assert_eq!(
            shown(Render::Signed, &i64::MIN.to_le_bytes()),
            "-9223372036854775808"
        );
        assert_eq!(shown(Render::Unsigned, &[0xff]), "255");
        assert_eq!(
            shown(Render::Unsigned, &u64::MAX.to_le_bytes()),
            "18446744073709551615"
        );
        assert_eq!(shown(Render::Unsigned, &2155u16.to_le_bytes()), "2155");
        assert_eq!(shown(Render::Signed, &0i32.to_le_bytes()), "0");
        assert_eq!(shown(Render::Signed, &(-7i64).to_le_bytes()), "-7");
        assert_eq!(shown(Render::Unsigned, &[0]), "0");
        assert_eq!(shown(Render::Bit, &[0]), "0");
        assert_eq!(shown(Render::Bit, &[1, 0]), "256");
    }

    #[test]
    fn floats_read_back_to_the_same_bits() {
        for value in [
            f32::MAX,
            -f32::MAX,
            f32::MIN_POSITIVE,
            0.1,
            -0.001,
            1234567.1,
            0.0,
        ] {
            let text = shown(Render::Float, &value.to_le_bytes());
            let back: f64 = text.parse().unwrap();
            assert_eq!(back as f32, value, "{text}");
        }
        for value in [
            f64::MAX,
            -f64::MIN_POSITIVE,
            0.1,
            1e-300,
            123_456_789.123_456_79,
            1e16,
        ] {
            let text = shown(Render::Double, &value.to_le_bytes());
            assert_eq!(text.parse::<f64>().unwrap(), value, "{text}");
        }
        assert_eq!(shown(Render::Double, &0.5f64.to_le_bytes()), "0.5");
    }

    #[test]
    fn dates_and_times_as_the_server_writes_them() {
        assert_eq!(shown(Render::DateTime, &[0]), "'0000-00-00'");
        assert_eq!(
            shown(Render::DateTime, &[4, 0xea, 0x07, 12, 2]),
            "'2026-12-02'"
        );
        let mut dt = vec![11, 0x0f, 0x27, 12, 31, 23, 59, 59];
        dt.extend(999_999u32.to_le_bytes());
        assert_eq!(shown(Render::DateTime, &dt), "'9999-12-31 23:59:59.999999'");
        let mut t = vec![12, 1];
        t.extend(34u32.to_le_bytes());
        t.extend([22, 59, 59]);
        t.extend(5u32.to_le_bytes());
        assert_eq!(shown(Render::Time, &t), "'-838:59:59.000005'");
        assert_eq!(shown(Render::Time, &[0]), "'00:00:00'");
        assert!(Render::DateTime.write(&[7, 1, 2], &mut Vec::new()).is_err());
    }

    #[test]
    fn strings_are_escaped_onto_one_line_and_bytes_are_hex() {
        assert_eq!(
            shown(Render::Text, "it's a \\ b\nc\rd\0e\x1a 😀".as_bytes()),
            "'it\\'s a \\\\ b\\nc\\rd\\0e\\Z 😀'"
        );
        assert_eq!(shown(Render::Text, b""), "''");
        assert_eq!(shown(Render::Bytes, &[0, 0x5c, 0x27, 0xff]), "X'005C27FF'");
        assert_eq!(
            shown(Render::Bit, &[0x80, 0, 0, 0, 0, 0, 0, 1]),
            "9223372036854775809"
        );
        assert_eq!(shown(Render::Decimal, b"-12.50"), "-12.50");
        assert!(Render::Decimal.write(b"1; DROP", &mut Vec::new()).is_err());
    }
}
