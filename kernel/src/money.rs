//! Money as clients send it: [`Amount`], a decimal string (`"12.50"`) parsed once and strictly
//! (digits, at most one point; no sign, spaces or exponent), then checked against the scale of
//! its currency with [`Amount::in_scale`] or [`Amount::positive_in_scale`]. Amounts are never
//! floats and never rounded: more places than the currency has is an error.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{AppError, AppResult};

/// Integer digits an amount may have (the ledger is `NUMERIC(26,8)`).
pub const MAX_INTEGER_DIGITS: usize = 18;
/// Decimal places the grammar accepts; each currency allows at most its own scale.
pub const MAX_PLACES: usize = 18;

/// A non-negative decimal amount, as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Amount {
    raw: String,
    value: Decimal,
    places: u32,
}

impl Amount {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let fail = || format!("`{raw}` is not a decimal amount like \"12.50\"");
        let (int, frac) = match raw.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (raw, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return Err(fail());
        }
        if int.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
            return Err(format!("must be below 10^{MAX_INTEGER_DIGITS}"));
        }
        let places = frac.map_or(0, str::len);
        if places > MAX_PLACES {
            return Err(format!("at most {MAX_PLACES} decimal places"));
        }
        let value = Decimal::from_str(raw).map_err(|_| fail())?;
        Ok(Self {
            raw: raw.to_owned(),
            value,
            places: places as u32,
        })
    }

    /// The amount as sent.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The value, unchecked against any currency.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// The value if it has at most `scale` places (zero allowed); else 422 at `pointer`.
    pub fn in_scale(&self, scale: u32, pointer: &str) -> AppResult<Decimal> {
        if self.places > scale {
            return Err(AppError::field(
                pointer,
                format!("at most {scale} decimal places for this currency"),
            ));
        }
        Ok(self.value)
    }

    /// Like [`Amount::in_scale`], and greater than zero.
    pub fn positive_in_scale(&self, scale: u32, pointer: &str) -> AppResult<Decimal> {
        let v = self.in_scale(scale, pointer)?;
        if v <= Decimal::ZERO {
            return Err(AppError::field(pointer, "must be greater than 0"));
        }
        Ok(v)
    }
}

impl FromStr for Amount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Amount::parse(&raw)
            .map_err(|e| serde::de::Error::custom(format!("{}{e}", crate::text::RULE)))
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A decimal amount as a string (`\"12.50\"`), never rounded: at most as many \
                 places as the currency's scale.",
            ))
            .pattern(Some(r"^[0-9]{1,18}(\.[0-9]{1,18})?$"))
            .max_length(Some(37))
            .examples(["12.50"])
            .into()
    }
}

impl utoipa::ToSchema for Amount {}

/// The schema of a decimal request field that is not money (scores, weights, hours): a string
/// like `"2.5"` or a JSON number.
pub struct DecimalValue;

impl utoipa::PartialSchema for DecimalValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$"))
                    .max_length(Some(38)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .into()
    }
}

impl utoipa::ToSchema for DecimalValue {}

/// A string decimal schema with `pattern` and an example.
fn decimal_string(
    pattern: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(Some(7))
        .examples([example])
        .into()
}

/// The schema of a percentage a client sets (pass marks, rule thresholds): `"0"` to `"100"`
/// with at most two decimals, as the services check it.
pub struct Percent;

impl utoipa::PartialSchema for Percent {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        decimal_string(r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$", "70")
    }
}

impl utoipa::ToSchema for Percent {}

/// The schema of a weight in a grade (`"0"` to `"1000"`, at most two decimals).
pub struct Weight;

impl utoipa::PartialSchema for Weight {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        decimal_string(r"^(1000(\.0{1,2})?|[0-9]{1,3}(\.[0-9]{1,2})?)$", "1")
    }
}

impl utoipa::ToSchema for Weight {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strict_grammar() {
        for bad in [
            " 1", "1 ", "-1", "+1", "1e3", "1.", ".5", "", "1,5", "0x10", "１",
        ] {
            assert!(Amount::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Amount::parse(&"9".repeat(19)).is_err());
        assert_eq!(
            Amount::parse("12.50").unwrap().value(),
            Decimal::new(1250, 2)
        );
        assert_eq!(Amount::parse("007").unwrap().value(), Decimal::from(7));
    }

    #[test]
    fn scale_is_checked_never_rounded() {
        let a = Amount::parse("1.005").unwrap();
        assert!(a.in_scale(2, "#/amount").is_err());
        assert_eq!(a.in_scale(8, "#/amount").unwrap(), Decimal::new(1005, 3));
        assert!(Amount::parse("1.500").unwrap().in_scale(2, "#/a").is_err());
        assert!(
            Amount::parse("0")
                .unwrap()
                .positive_in_scale(2, "#/a")
                .is_err()
        );
        assert!(Amount::parse("0").unwrap().in_scale(2, "#/a").is_ok());
    }
}
