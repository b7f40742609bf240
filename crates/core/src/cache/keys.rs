//! Keys as text and back: binary-safe display, parsing what a person typed, and SCAN
//! patterns that match only what they say.

use super::*;

/// Shows bytes as text without losing any: valid UTF-8 stays as it is, `\` becomes `\\`,
/// control characters and bytes that are not UTF-8 become `\xNN`. [`parse_key`] reverses it.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => {
                let (ok, _) = rest.split_at(e.valid_up_to());
                (
                    std::str::from_utf8(ok).expect("valid prefix"),
                    Some(e.error_len().unwrap_or(rest.len() - e.valid_up_to())),
                )
            }
        };
        for c in valid.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        rest = &rest[valid.len()..];
        if let Some(n) = bad {
            for b in &rest[..n] {
                out.push_str(&format!("\\x{b:02x}"));
            }
            rest = &rest[n..];
        }
    }
    out
}

/// Whether [`show_bytes`] had to escape anything but backslashes.
pub fn is_binary(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Err(_) => true,
        Ok(s) => s
            .chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') || c as u32 == 0x7f),
    }
}

/// The bytes of a key as [`show_bytes`] showed it.
pub fn parse_key(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| {
                        Error::InvalidInput(format!(
                            "`\\x{hex}` in a key needs two hex digits, as in \\x00"
                        ))
                    })?;
                out.push(byte);
            }
            other => {
                return Err(Error::InvalidInput(format!(
                    "a key shows a backslash as \\\\ and a byte as \\xNN; `\\{}` is neither",
                    other.map(String::from).unwrap_or_default()
                )));
            }
        }
    }
    Ok(out)
}

/// Escapes Redis glob characters so `text` matches itself.
pub fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks a MATCH pattern: an unclosed `[` or a trailing `\` is almost always a typo for a
/// literal character, and Redis would silently match nothing.
pub fn check_pattern(pattern: &str) -> Result<()> {
    let mut chars = pattern.chars();
    let mut open = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => {
                return Err(Error::InvalidInput(
                    "the pattern ends with a lone `\\`: write `\\\\` to match a backslash".into(),
                ));
            }
            '[' if !open => open = true,
            ']' if open => open = false,
            _ => {}
        }
    }
    if open {
        return Err(Error::InvalidInput(
            "the pattern opens a `[` character class it never closes: write `\\[` to match a bracket, or search as literal text".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_show_and_parse_back_losslessly() {
        for raw in [
            b"user:1".to_vec(),
            b"a\\b".to_vec(),
            vec![0, 159, 146, 150, b'k', 0xff],
            "情绪:开心".as_bytes().to_vec(),
            b"tab\there\x7f".to_vec(),
        ] {
            let shown = show_bytes(&raw);
            assert_eq!(parse_key(&shown).unwrap(), raw, "{shown}");
        }
        assert_eq!(show_bytes(&[0, b'a', 0xff]), "\\x00a\\xff");
        assert!(is_binary(&[0xff]));
        assert!(!is_binary("情绪".as_bytes()));
        assert!(parse_key("bad\\q").is_err());
        assert!(parse_key("bad\\x4").is_err());
    }

    #[test]
    fn patterns_with_open_classes_or_lone_backslashes_are_refused() {
        assert!(check_pattern("user:*").is_ok());
        assert!(check_pattern("user:[0-9]*").is_ok());
        assert!(check_pattern("user:\\[x").is_ok());
        assert!(check_pattern("user:[x").is_err());
        assert!(check_pattern("user:\\").is_err());
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
