//! Pure money rules (unit-tested): parsing amounts against a currency's scale, fees, daily
//! staking yield, and the zero-sum check of a posting.

use rust_decimal::{Decimal, RoundingStrategy};

use kernel::{AppError, AppResult, FieldError};

/// Parses a decimal string: positive, at most 18 integer digits, at most `scale` places.
/// Anything else is a 422 at `pointer`, never rounded.
pub fn parse_amount(raw: &str, scale: u32, pointer: &str) -> AppResult<Decimal> {
    let fail = |detail: String| Err(AppError::validation(vec![FieldError::new(pointer, detail)]));
    let s = raw.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(s.contains('.') && frac.is_empty());
    if !digits_ok {
        return fail(format!(
            "`{raw}` is not a positive decimal number like \"12.50\""
        ));
    }
    if int.trim_start_matches('0').len() > 18 {
        return fail("must be below 10^18".into());
    }
    if frac.len() > scale as usize {
        return fail(format!("at most {scale} decimal places for this currency"));
    }
    let value: Decimal = s
        .parse()
        .or_else(|_| fail(format!("`{raw}` is not a decimal number")))?;
    if value <= Decimal::ZERO {
        return fail("must be greater than 0".into());
    }
    Ok(value)
}

/// The fee on `amount` at `rate`, rounded half away from zero to the currency's scale.
pub fn fee(amount: Decimal, rate: Decimal, scale: u32) -> Decimal {
    (amount * rate).round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero)
}

/// One day's yield of `principal` at annual `apr`, rounded down to the scale.
pub fn daily_yield(principal: Decimal, apr: Decimal, scale: u32) -> Decimal {
    (principal * apr / Decimal::from(365)).round_dp_with_strategy(scale, RoundingStrategy::ToZero)
}

/// A posting balances when its legs sum to zero and none is zero.
pub fn balanced(legs: &[(uuid::Uuid, Decimal)]) -> bool {
    legs.len() >= 2
        && legs.iter().all(|(_, d)| !d.is_zero())
        && legs.iter().map(|(_, d)| *d).sum::<Decimal>().is_zero()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_checked_not_rounded() {
        assert_eq!(parse_amount("12.50", 2, "#/amount").unwrap(), d("12.50"));
        assert_eq!(parse_amount("5", 2, "#/amount").unwrap(), d("5"));
        for bad in [
            "0",
            "0.00",
            "-1",
            "1.001",
            "abc",
            "",
            "1.",
            ".5",
            "1e3",
            "1 000",
            "9999999999999999999",
        ] {
            assert!(parse_amount(bad, 2, "#/amount").is_err(), "{bad}");
        }
        assert!(parse_amount("0.00000001", 8, "#/amount").is_ok());
        assert!(parse_amount("0.000000001", 8, "#/amount").is_err());
    }

    #[test]
    fn fees_yields_and_balance() {
        assert_eq!(fee(d("10.00"), d("0.01"), 2), d("0.10"));
        assert_eq!(fee(d("0.05"), d("0.1"), 2), d("0.01"));
        assert_eq!(daily_yield(d("365"), d("0.05"), 8), d("0.05"));
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        assert!(balanced(&[(a, d("-1")), (b, d("1"))]));
        assert!(!balanced(&[(a, d("-1")), (b, d("0.5"))]));
        assert!(!balanced(&[(a, d("0")), (b, d("0"))]));
    }
}
