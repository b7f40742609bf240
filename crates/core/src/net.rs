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
            waited: Some(limit),
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
            waited: Some(timeout),
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

/// A server URL read the way every connection layer reads one: its scheme one of `schemes`
/// (the index of the one used is kept, e.g. to tell `rediss` from `redis`), user and password
/// percent-decoded, the host 127.0.0.1 when none is given.
pub(crate) struct ServerUrl {
    pub scheme: usize,
    pub host: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The path without its leading `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl ServerUrl {
    /// `what` names the server in errors ("MySQL", "Redis"); the password never appears in one.
    pub(crate) fn parse(raw: &str, what: &str, schemes: &[&str]) -> Result<Self> {
        let url = url::Url::parse(raw).map_err(|e| {
            Error::InvalidInput(format!("not a {what} URL ({e}): {}", redact_url(raw)))
        })?;
        let Some(scheme) = schemes.iter().position(|s| *s == url.scheme()) else {
            let wanted: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
            return Err(Error::InvalidInput(format!(
                "a {what} URL starts with {}, not {}://",
                wanted.join(" or "),
                url.scheme()
            )));
        };
        Ok(ServerUrl {
            scheme,
            host: url.host_str().unwrap_or("127.0.0.1").to_owned(),
            port: url.port(),
            user: Some(url_decoded(url.username())).filter(|u| !u.is_empty()),
            password: url.password().map(url_decoded),
            path: url.path().trim_start_matches('/').to_owned(),
            query: url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        })
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
