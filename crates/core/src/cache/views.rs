//! A page of a key's value, one reader per Redis type: strings by GETRANGE (never whole),
//! hashes and sets by their SCAN cursors, zsets by rank, lists by index windows, streams by
//! entry id. Each fills the view's length, elements and the `next` the following page starts at.

use super::value::{Element, KeyView, STRING_LIMIT, element, value_links};
use super::{is_binary, show_bytes};
use crate::error::{Error, Result};
use crate::redis::RedisServer;

/// A stream entry as XRANGE returns it: its id and flat field/value pairs.
type StreamEntry = (String, Vec<Vec<u8>>);

/// One page's read of one key.
pub(super) struct Read<'a> {
    pub server: &'a RedisServer,
    /// To the node that holds the key now (after `ASKING` while its slot migrates).
    pub conn: super::redirect::KeyConn,
    pub key: &'a [u8],
    /// The key as the browser shows it.
    pub shown: &'a str,
    /// Where the page starts: empty for the first.
    pub from: &'a str,
    pub page: u32,
}

impl Read<'_> {
    fn err(&self, e: ::redis::RedisError) -> Error {
        self.server.err(e)
    }

    fn offset(&self) -> i64 {
        self.from.parse::<i64>().unwrap_or(0).max(0)
    }

    fn cursor(&self) -> &str {
        if self.from.is_empty() { "0" } else { self.from }
    }

    /// The value's first [`STRING_LIMIT`] bytes; JSON parsed when it is whole.
    pub async fn string(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let (length, bytes): (u64, Vec<u8>) = ::redis::pipe()
            .cmd("STRLEN")
            .arg(self.key)
            .cmd("GETRANGE")
            .arg(self.key)
            .arg(0)
            .arg(STRING_LIMIT as i64 - 1)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.truncated = length as usize > bytes.len();
        view.binary = is_binary(&bytes);
        let text = if view.binary {
            show_bytes(&bytes)
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        if !view.binary && !view.truncated {
            view.json = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .filter(|v| v.is_object() || v.is_array());
        }
        view.links
            .extend(value_links(self.shown, &text, view.json.as_ref()));
        view.text = Some(text);
        Ok(())
    }

    pub async fn hash(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let (length, (next, flat)): (u64, (u64, Vec<Vec<u8>>)) = ::redis::pipe()
            .cmd("HLEN")
            .arg(self.key)
            .cmd("HSCAN")
            .arg(self.key)
            .arg(self.cursor())
            .arg("COUNT")
            .arg(self.page)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.elements = flat
            .chunks(2)
            .map(|p| {
                element(
                    Some(show_bytes(&p[0])),
                    p.get(1).map(Vec::as_slice).unwrap_or(&[]),
                    None,
                )
            })
            .collect();
        view.next = (next != 0).then(|| next.to_string());
        Ok(())
    }

    pub async fn set(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let (length, (next, members)): (u64, (u64, Vec<Vec<u8>>)) = ::redis::pipe()
            .cmd("SCARD")
            .arg(self.key)
            .cmd("SSCAN")
            .arg(self.key)
            .arg(self.cursor())
            .arg("COUNT")
            .arg(self.page)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.elements = members.iter().map(|m| element(None, m, None)).collect();
        view.next = (next != 0).then(|| next.to_string());
        Ok(())
    }

    /// Highest score first, by rank: O(log n + page) whatever the size.
    pub async fn zset(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let start = self.offset();
        let (length, flat): (u64, Vec<(Vec<u8>, f64)>) = ::redis::pipe()
            .cmd("ZCARD")
            .arg(self.key)
            .cmd("ZRANGE")
            .arg(self.key)
            .arg(start)
            .arg(start + i64::from(self.page) - 1)
            .arg("REV")
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.elements = flat
            .iter()
            .enumerate()
            .map(|(i, (m, s))| element(Some(format!("#{}", start + i as i64 + 1)), m, Some(*s)))
            .collect();
        let end = start as u64 + flat.len() as u64;
        view.next = (end < length && !flat.is_empty()).then(|| end.to_string());
        Ok(())
    }

    pub async fn list(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let start = self.offset();
        let (length, items): (u64, Vec<Vec<u8>>) = ::redis::pipe()
            .cmd("LLEN")
            .arg(self.key)
            .cmd("LRANGE")
            .arg(self.key)
            .arg(start)
            .arg(start + i64::from(self.page) - 1)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.elements = items
            .iter()
            .enumerate()
            .map(|(i, v)| element(Some((start + i as i64).to_string()), v, None))
            .collect();
        let end = start as u64 + items.len() as u64;
        view.next = (end < length && !items.is_empty()).then(|| end.to_string());
        Ok(())
    }

    /// Entries after the last one shown (XRANGE's exclusive start), fields as `name=value`.
    pub async fn stream(&self, view: &mut KeyView) -> Result<()> {
        let mut conn = self.conn.clone();
        let start = if self.from.is_empty() {
            "-".to_owned()
        } else {
            format!("({}", self.from)
        };
        let (length, entries): (u64, Vec<StreamEntry>) = ::redis::pipe()
            .cmd("XLEN")
            .arg(self.key)
            .cmd("XRANGE")
            .arg(self.key)
            .arg(&start)
            .arg("+")
            .arg("COUNT")
            .arg(self.page)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.err(e))?;
        view.length = length;
        view.next = (entries.len() == self.page as usize)
            .then(|| entries.last().map(|(id, _)| id.clone()))
            .flatten();
        view.elements = entries
            .iter()
            .map(|(id, fields)| {
                let text = fields
                    .chunks(2)
                    .map(|p| {
                        format!(
                            "{}={}",
                            show_bytes(&p[0]),
                            p.get(1).map(|v| show_bytes(v)).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                Element {
                    name: Some(id.clone()),
                    binary: false,
                    value: text,
                    score: None,
                    link: None,
                }
            })
            .collect();
        Ok(())
    }
}
