//! How 64-bit ids cross to the window and into `--json`: as decimal strings. A JavaScript
//! number holds integers exactly only up to 2^53; past it an id rounds to its neighbour's and
//! names another row. Fields keep their Rust integer type and opt in with
//! `#[serde(with = "crate::wire::id")]` (or `opt_id` for an `Option`); reading accepts a
//! string or a number, so scripts that send numbers keep working.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

/// A 64-bit id as a command argument: sent by the window as a string, by scripts as either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id<T = i64>(pub T);

impl<T: Copy> Id<T> {
    pub fn get(self) -> T {
        self.0
    }
}

impl<T> From<T> for Id<T> {
    fn from(v: T) -> Self {
        Id(v)
    }
}

impl<T: fmt::Display> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: fmt::Display> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        id::serialize(&self.0, s)
    }
}

impl<'de, T> Deserialize<'de> for Id<T>
where
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        id::deserialize(d).map(Id)
    }
}

/// Integers that arrive as a number or a decimal string.
struct IntVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for IntVisitor<T>
where
    T: FromStr + TryFrom<i64> + TryFrom<u64>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, as a number or a decimal string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("{v:?} is not an integer")))
    }
}

pub mod id {
    use super::*;

    pub fn serialize<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr + TryFrom<i64> + TryFrom<u64>,
        D: Deserializer<'de>,
    {
        d.deserialize_any(IntVisitor(PhantomData))
    }
}

pub mod opt_id {
    use super::*;

    struct OptionVisitor<T>(PhantomData<T>);

    impl<'de, T> Visitor<'de> for OptionVisitor<T>
    where
        T: FromStr + TryFrom<i64> + TryFrom<u64>,
    {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::id::deserialize(d).map(Some)
        }
    }

    pub fn serialize<T: fmt::Display, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr + TryFrom<i64> + TryFrom<u64>,
        D: Deserializer<'de>,
    {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        #[serde(with = "id")]
        id: i64,
        #[serde(with = "opt_id", default)]
        parent: Option<u64>,
    }

    #[test]
    fn ids_past_two_to_the_53_cross_exactly() {
        let row = Row {
            id: 9_007_199_254_740_993,
            parent: Some(u64::MAX),
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json,
            r#"{"id":"9007199254740993","parent":"18446744073709551615"}"#
        );
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
    }

    #[test]
    fn numbers_and_nulls_are_read_too() {
        let row: Row = serde_json::from_str(r#"{"id":42,"parent":null}"#).unwrap();
        assert_eq!(
            row,
            Row {
                id: 42,
                parent: None
            }
        );
        let row: Row = serde_json::from_str(r#"{"id":"7"}"#).unwrap();
        assert_eq!(
            row,
            Row {
                id: 7,
                parent: None
            }
        );
        assert!(serde_json::from_str::<Row>(r#"{"id":"seven"}"#).is_err());
        assert!(serde_json::from_str::<Row>(r#"{"id":-1,"parent":-1}"#).is_err());
        assert_eq!(serde_json::from_str::<Id>(r#""12""#).unwrap(), Id(12));
        assert_eq!(serde_json::from_str::<Id<u64>>("12").unwrap(), Id(12u64));
        assert_eq!(serde_json::to_string(&Id(12)).unwrap(), r#""12""#);
    }
}
