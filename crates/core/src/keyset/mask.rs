//! Masking of personal data for support profiles. Applied in the core, so nothing unmasked
//! leaves it for a support viewer: not the window, not the CLI's JSON, not an export.

use serde_json::Value;

/// `13812345678` → `138****5678`. Short numbers keep less.
pub fn phone(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let n = chars.len();
    if n >= 8 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if n > 2 {
        format!("{}****{}", chars[0], chars[n - 1])
    } else {
        "****".to_owned()
    }
}

/// `alice@example.com` → `a***@example.com`.
pub fn email(raw: &str) -> String {
    match raw.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// `203.0.113.45` → `203.0.*.*`; IPv6 keeps its first two groups.
pub fn ip(raw: &str) -> String {
    if raw.contains(':') {
        let groups: Vec<&str> = raw.split(':').take(2).collect();
        format!("{}:*:*", groups.join(":"))
    } else {
        let octets: Vec<&str> = raw.split('.').collect();
        if octets.len() == 4 {
            format!("{}.{}.*.*", octets[0], octets[1])
        } else {
            "*.*.*.*".to_owned()
        }
    }
}

/// A login token: its first 6 characters.
pub fn token(raw: &str) -> String {
    let head: String = raw.chars().take(6).collect();
    format!("{head}…")
}

/// Masks the personal fields of a JSON object (a cached row) in place.
pub fn json_fields(value: &mut Value) {
    if let Value::Object(map) = value {
        for (key, v) in map.iter_mut() {
            let Value::String(s) = v else { continue };
            let masked = match key.as_str() {
                "phone" => phone(s),
                "email" => email(s),
                "lastLoginIp" | "last_login_ip" | "ip" | "ipAddress" | "ip_address" => ip(s),
                _ => continue,
            };
            *s = masked;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keeps_three_and_four() {
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("12345"), "1****5");
        assert_eq!(phone("1"), "****");
    }

    #[test]
    fn email_keeps_the_first_letter_and_the_domain() {
        assert_eq!(email("alice@example.com"), "a***@example.com");
        assert_eq!(email("用户@例子.中国"), "用***@例子.中国");
        assert_eq!(email("no-at-sign"), "***");
    }

    #[test]
    fn ip_keeps_the_network_half() {
        assert_eq!(ip("203.0.113.45"), "203.0.*.*");
        assert_eq!(ip("2001:db8::1"), "2001:db8:*:*");
        assert_eq!(ip("garbage"), "*.*.*.*");
    }

    #[test]
    fn json_rows_are_masked_field_by_field() {
        let mut v =
            serde_json::json!({"phone": "13812345678", "email": "bob@x.org", "nickname": "Bob"});
        json_fields(&mut v);
        assert_eq!(v["phone"], "138****5678");
        assert_eq!(v["email"], "b***@x.org");
        assert_eq!(v["nickname"], "Bob");
    }
}
