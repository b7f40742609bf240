//! What every connection shares, whatever the server: a wait bounded by a limit that names
//! the server, a host name told apart from a refused port, and URLs with their credentials
//! decoded for use and hidden for show.

use std::time::Duration;

use crate::error::{Error, Result};

/// Runs `f` within `limit`, as a timeout error naming `server` otherwise.
pub(crate) async fn bounded<T>(
    server: &str,
    limit: Duration,
    f: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, f).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            server: server.to_owned(),
            seconds: limit.as_secs().max(1),
        }),
    }
}

/// Fails with `UnknownHost` when `host` does not resolve, so that case is told apart from a
/// refused port without reading any message text.
pub(crate) async fn resolve_or_unknown_host(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<()> {
    let server = format!("{host}:{port}");
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(Error::Timeout {
            server,
            seconds: timeout.as_secs(),
        }),
        Ok(Err(e)) => Err(Error::UnknownHost {
            server,
            reason: e.to_string(),
        }),
        Ok(Ok(mut addrs)) => match addrs.next() {
            Some(_) => Ok(()),
            None => Err(Error::UnknownHost {
                server,
                reason: "no address found".into(),
            }),
        },
    }
}

/// Replaces the password of a URL so it can be shown.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable URL>".to_owned(),
    }
}

/// A URL's user or password as the person meant it: `%21` is `!`, and `+` stays a plus
/// (unlike a form field). Bytes that are not UTF-8 once decoded are kept as they were typed.
pub fn url_decoded(raw: &str) -> String {
    let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2)))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_percent_decoded_and_plus_stays() {
        assert_eq!(url_decoded("p%21ss"), "p!ss");
        assert_eq!(url_decoded("a+b"), "a+b");
        assert_eq!(url_decoded("%E4%BD%A0"), "你");
        assert_eq!(url_decoded("100%"), "100%");
        assert_eq!(url_decoded("%zz"), "%zz");
        assert_eq!(url_decoded("%FF"), "%FF");
    }

    #[test]
    fn shown_urls_hide_the_password() {
        assert_eq!(
            redact_url("mysql://root:secret@db:3306/x"),
            "mysql://root:***@db:3306/x"
        );
        assert_eq!(redact_url("nonsense"), "<unparseable URL>");
    }
}
