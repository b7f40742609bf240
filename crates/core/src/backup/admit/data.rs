//! The data files' closed grammar: `INSERT INTO <own table> (<columns>) VALUES` and tuples of
//! literals, one statement a line, scanned on every byte.

use super::Refusal;
use crate::backup::manifest::{DATA_DIR, FileEntry, TableEntry};
use crate::mysql::quote_ident;

/// A data file's path must stay inside the folder's data directory.
pub(super) fn check_data_path(path: &str) -> Result<(), String> {
    let inside = path
        .strip_prefix(DATA_DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
                && !name.starts_with('.')
        });
    if inside {
        Ok(())
    } else {
        Err(format!(
            "data file `{path}` is not a file of the backup's {}/ folder",
            DATA_DIR
        ))
    }
}

/// What one data file may hold: inserts into its own table's columns, and how many rows.
pub struct DataShape {
    file: String,
    prefix: Vec<u8>,
    columns: usize,
}

impl DataShape {
    pub fn new(table: &TableEntry, file: &FileEntry) -> Self {
        DataShape {
            file: file.path.clone(),
            prefix: insert_prefix(&table.name, &table.columns).into_bytes(),
            columns: table.columns.len(),
        }
    }

    /// The rows of one line (one statement), or why it is refused.
    pub fn check(&self, line_number: u64, line: &[u8]) -> Result<u64, Refusal> {
        scan_insert(line, &self.prefix, self.columns).map_err(|(offset, reason)| Refusal {
            file: self.file.clone(),
            place: format!("line {line_number}, byte {}", offset + 1),
            reason,
        })
    }

    /// The file's total against the manifest.
    pub fn check_rows(&self, found: u64, expected: u64) -> Result<(), Refusal> {
        if found == expected {
            return Ok(());
        }
        Err(Refusal {
            file: self.file.clone(),
            place: "end of file".to_owned(),
            reason: format!("it holds {found} row(s), the manifest says {expected}"),
        })
    }
}

/// The statement head the dump writes for a table: `INSERT INTO `t` (`a`,`b`) VALUES `.
pub fn insert_prefix(table: &str, columns: &[String]) -> String {
    format!(
        "INSERT INTO {} ({}) VALUES ",
        quote_ident(table),
        columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Scans `prefix (v,…),(v,…);` where every v is a literal; returns the tuples counted, or the
/// byte offset and reason of the first thing that is not.
fn scan_insert(line: &[u8], prefix: &[u8], columns: usize) -> Result<u64, (usize, String)> {
    if !line.starts_with(prefix) {
        let at = line
            .iter()
            .zip(prefix)
            .position(|(a, b)| a != b)
            .unwrap_or(line.len().min(prefix.len()));
        return Err((
            at,
            format!(
                "not `{}…` into this file's own table and columns",
                String::from_utf8_lossy(prefix).trim_end()
            ),
        ));
    }
    let mut i = prefix.len();
    let mut rows = 0u64;
    loop {
        if line.get(i) != Some(&b'(') {
            return Err((i, "a row must start with `(`".to_owned()));
        }
        i += 1;
        for column in 0..columns {
            i = scan_literal(line, i)?;
            let want = if column + 1 == columns { b')' } else { b',' };
            if line.get(i) != Some(&want) {
                return Err((
                    i,
                    if column + 1 == columns {
                        format!("a row must hold exactly {columns} literal value(s)")
                    } else {
                        "only literal values (numbers, 'strings', X'hex', NULL) are admitted"
                            .to_owned()
                    },
                ));
            }
            i += 1;
        }
        rows += 1;
        match line.get(i) {
            Some(b',') => i += 1,
            Some(b';') if i + 1 == line.len() => return Ok(rows),
            Some(b';') => return Err((i + 1, "a second statement after `;`".to_owned())),
            _ => {
                return Err((
                    i,
                    "a statement must end with `;` at the end of its line".to_owned(),
                ));
            }
        }
    }
}

/// One literal starting at `i`; returns where it ends.
fn scan_literal(line: &[u8], mut i: usize) -> Result<usize, (usize, String)> {
    let not_literal = |at: usize| {
        (
            at,
            "only literal values (numbers, 'strings', X'hex', NULL) are admitted".to_owned(),
        )
    };
    match line.get(i) {
        Some(b'\'') => {
            i += 1;
            loop {
                match line.get(i) {
                    None => return Err((i, "a string is not closed on its line".to_owned())),
                    Some(b'\\') => {
                        if i + 1 >= line.len() {
                            return Err((i, "a string is not closed on its line".to_owned()));
                        }
                        i += 2;
                    }
                    Some(b'\'') if line.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => return Ok(i + 1),
                    Some(_) => i += 1,
                }
            }
        }
        Some(b'X') if line.get(i + 1) == Some(&b'\'') => {
            let start = i + 2;
            let mut end = start;
            while line.get(end).is_some_and(u8::is_ascii_hexdigit) {
                end += 1;
            }
            if line.get(end) != Some(&b'\'') || (end - start) % 2 == 1 {
                return Err((
                    end,
                    "a hex literal must be X'' around pairs of hex digits".to_owned(),
                ));
            }
            Ok(end + 1)
        }
        Some(b'N') if line[i..].starts_with(b"NULL") => Ok(i + 4),
        Some(b'-' | b'0'..=b'9' | b'.') => {
            if line[i] == b'-' {
                i += 1;
            }
            let digits = |mut at: usize| {
                while line.get(at).is_some_and(u8::is_ascii_digit) {
                    at += 1;
                }
                at
            };
            let whole = digits(i);
            let mut end = whole;
            if line.get(end) == Some(&b'.') {
                end = digits(end + 1);
            }
            if end == i || (end == whole + 1 && whole == i) {
                return Err(not_literal(i));
            }
            if matches!(line.get(end), Some(b'e' | b'E')) {
                let mut exp = end + 1;
                if matches!(line.get(exp), Some(b'+' | b'-')) {
                    exp += 1;
                }
                let after = digits(exp);
                if after == exp {
                    return Err(not_literal(end));
                }
                end = after;
            }
            Ok(end)
        }
        _ => Err(not_literal(i)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> DataShape {
        DataShape {
            file: "data/000-t.00000.sql.zst".to_owned(),
            prefix: insert_prefix("t", &["a".to_owned(), "b".to_owned(), "c".to_owned()])
                .into_bytes(),
            columns: 3,
        }
    }

    #[test]
    fn literal_rows_are_admitted_and_counted() {
        let line = br"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,'it''s \' a ; DROP /*! x */',NULL),(-1.5e-7,X'00ff',''),(.5,'\\',18446744073709551615);";
        assert_eq!(shape().check(1, line), Ok(3));
    }

    #[test]
    fn anything_but_literals_into_the_files_own_table_is_refused() {
        let cases: [(&[u8], &str); 11] = [
            (b"DROP DATABASE mindpal;", "own table"),
            (
                b"INSERT INTO `u` (`a`,`b`,`c`) VALUES (1,2,3);",
                "own table",
            ),
            (
                b"INSERT INTO `mindpal`.`t` (`a`,`b`,`c`) VALUES (1,2,3);",
                "own table",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,2,3); DROP DATABASE mindpal;",
                "second statement",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,2,3);DROP DATABASE x;",
                "second statement",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,SLEEP(5),3);",
                "literal",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,(SELECT password FROM mysql.user),3);",
                "literal",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,/*!50000 2*/,3);",
                "literal",
            ),
            (b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,2);", "literal"),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,2,3,4);",
                "exactly 3",
            ),
            (
                b"INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,'x\\',3);",
                "not closed",
            ),
        ];
        for (line, why) in cases {
            let err = shape()
                .check(7, line)
                .expect_err(&String::from_utf8_lossy(line));
            assert!(
                err.reason.contains(why),
                "{}: {err}",
                String::from_utf8_lossy(line)
            );
            assert!(err.place.starts_with("line 7"), "{err}");
        }
        for bad in [
            "1e",
            "-",
            ".",
            "X'0'",
            "X'zz'",
            "NULLx",
            "1 ",
            "0x41",
            "_binary'a'",
            "'a' 'b'",
        ] {
            let line = format!("INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,{bad},3);");
            assert!(shape().check(1, line.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_paths_stay_in_the_data_folder() {
        check_data_path("data/000-users.00000.sql.zst").unwrap();
        for bad in [
            "../etc/passwd",
            "data/../../x",
            "/etc/passwd",
            "data/.hidden",
            "data/",
            "data/a/b",
        ] {
            assert!(check_data_path(bad).is_err(), "{bad}");
        }
    }
}
