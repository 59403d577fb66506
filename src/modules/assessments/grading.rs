//! The grading rules, pure and unit-tested: how an authored question becomes its options and
//! answer key, which answers a question accepts, and how many points an answer earns.
//!
//! A question's key is stored as JSON by kind: `{"correct": [option ids]}` (single and multiple
//! choice), `{"value": bool}` (true/false), `{"accepted": [..], "case_sensitive": bool}` (short
//! answer), `{"value": "3.14", "tolerance": "0.01"}` (numeric) and `{}` for the hand-graded
//! kinds (essay, file upload). An attempt's percent is [`percent`] of its points.

use std::str::FromStr;

use kernel::FieldError;
use kernel::enums::QuestionKind;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::dto::{OptionResponse, QuestionRequest};

/// An authored question's kind, options and key.
pub type Built = (QuestionKind, Vec<OptionResponse>, Value);

/// Checks an authored question and builds its options and key.
pub fn build(q: &QuestionRequest) -> Result<Built, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(kind) = q.kind.check("#/kind", &mut errors) else {
        return Err(errors);
    };
    if q.prompt.trim().is_empty() || q.prompt.chars().count() > 10_000 {
        errors.push(FieldError::new("#/prompt", "must be 1 to 10000 characters"));
    }
    if let Some(p) = q.points
        && (p <= Decimal::ZERO || p > Decimal::from(1000) || p.round_dp(2) != p)
    {
        errors.push(FieldError::new(
            "#/points",
            "greater than 0, at most 1000, two decimals",
        ));
    }
    let mut options = Vec::new();
    let key = match kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            if q.options.len() < 2 || q.options.len() > 20 {
                errors.push(FieldError::new("#/options", "2 to 20 options"));
            }
            for (i, text) in q.options.iter().enumerate() {
                if text.trim().is_empty() || text.chars().count() > 1000 {
                    errors.push(FieldError::new(
                        format!("#/options/{i}"),
                        "must be 1 to 1000 characters",
                    ));
                }
                options.push(OptionResponse {
                    id: Uuid::new_v4().simple().to_string()[..12].to_owned(),
                    text: text.trim().to_owned(),
                });
            }
            let mut correct: Vec<usize> = q.correct_options.clone();
            correct.sort_unstable();
            correct.dedup();
            if correct.len() != q.correct_options.len() {
                errors.push(FieldError::new(
                    "#/correct_options",
                    "each option may be listed once",
                ));
            }
            if correct.iter().any(|&i| i >= q.options.len()) {
                errors.push(FieldError::new(
                    "#/correct_options",
                    "indexes must point into `options`",
                ));
            }
            if kind == QuestionKind::SingleChoice && correct.len() != 1 {
                errors.push(FieldError::new(
                    "#/correct_options",
                    "a single-choice question has exactly one correct option",
                ));
            }
            if kind == QuestionKind::MultipleChoice && correct.is_empty() {
                errors.push(FieldError::new(
                    "#/correct_options",
                    "at least one correct option",
                ));
            }
            let ids: Vec<&str> = correct
                .iter()
                .filter_map(|&i| options.get(i).map(|o| o.id.as_str()))
                .collect();
            json!({ "correct": ids })
        }
        QuestionKind::TrueFalse => match q.correct {
            Some(v) => json!({ "value": v }),
            None => {
                errors.push(FieldError::new("#/correct", "true or false"));
                json!({})
            }
        },
        QuestionKind::ShortAnswer => {
            let accepted: Vec<String> = q
                .accepted_answers
                .iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect();
            if accepted.is_empty() || accepted.len() > 50 {
                errors.push(FieldError::new(
                    "#/accepted_answers",
                    "1 to 50 non-empty answers",
                ));
            }
            json!({ "accepted": accepted, "case_sensitive": q.case_sensitive })
        }
        QuestionKind::Numeric => {
            let tolerance = q.tolerance.unwrap_or(Decimal::ZERO);
            if tolerance.is_sign_negative() || !in_range(tolerance) {
                errors.push(FieldError::new("#/tolerance", "0 or more, below 10^15"));
            }
            if q.numeric_answer.is_some_and(|v| !in_range(v)) {
                errors.push(FieldError::new("#/numeric_answer", "below 10^15 in size"));
            }
            match q.numeric_answer {
                Some(v) => {
                    json!({ "value": v.normalize().to_string(), "tolerance": tolerance.normalize().to_string() })
                }
                None => {
                    errors.push(FieldError::new("#/numeric_answer", "the correct number"));
                    json!({})
                }
            }
        }
        QuestionKind::Essay | QuestionKind::FileUpload => json!({}),
    };
    if !kind.is_choice() && (!q.options.is_empty() || !q.correct_options.is_empty()) {
        errors.push(FieldError::new(
            "#/options",
            "only choice questions have options",
        ));
    }
    if q.partial_credit && kind != QuestionKind::MultipleChoice {
        errors.push(FieldError::new(
            "#/partial_credit",
            "only multiple-choice questions give partial credit",
        ));
    }
    if errors.is_empty() {
        Ok((kind, options, key))
    } else {
        Err(errors)
    }
}

/// Numbers in keys and answers stay below this in size, so grading arithmetic cannot overflow.
const NUMERIC_LIMIT: i64 = 1_000_000_000_000_000;

fn in_range(d: Decimal) -> bool {
    d.abs() < Decimal::from(NUMERIC_LIMIT)
}

fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
    .filter(|d| in_range(*d))
}

/// Checks a learner's answer against the question's shape and returns it as stored.
pub fn check_answer(
    kind: QuestionKind,
    options: &[OptionResponse],
    answer: &Value,
) -> Result<Value, String> {
    let is_option = |id: &str| options.iter().any(|o| o.id == id);
    match kind {
        QuestionKind::SingleChoice => match answer.as_str() {
            Some(id) if is_option(id) => Ok(answer.clone()),
            _ => Err("one of the question's option ids".into()),
        },
        QuestionKind::MultipleChoice => {
            let ids: Option<Vec<&str>> = answer
                .as_array()
                .map(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
                .unwrap_or(None);
            match ids {
                Some(ids)
                    if ids.iter().all(|id| is_option(id))
                        && ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id)) =>
                {
                    Ok(answer.clone())
                }
                _ => Err("a list of distinct option ids of the question".into()),
            }
        }
        QuestionKind::TrueFalse => answer
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| "true or false".into()),
        QuestionKind::ShortAnswer => match answer.as_str() {
            Some(s) if s.chars().count() <= 1000 => Ok(answer.clone()),
            _ => Err("text of at most 1000 characters".into()),
        },
        QuestionKind::Numeric => decimal_of(answer)
            .map(|d| Value::String(d.normalize().to_string()))
            .ok_or_else(|| "a number below 10^15 in size".into()),
        QuestionKind::Essay => match answer.as_str() {
            Some(s) if s.chars().count() <= 50_000 => Ok(answer.clone()),
            _ => Err("text of at most 50000 characters".into()),
        },
        QuestionKind::FileUpload => match answer.as_str() {
            Some(s) if kernel::text::is_http_url(s) => Ok(answer.clone()),
            _ => Err("the http(s) URL of the submitted file".into()),
        },
    }
}

fn normalize_text(s: &str, case_sensitive: bool) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if case_sensitive {
        joined
    } else {
        joined.to_lowercase()
    }
}

/// Points earned by `answer` (`Value::Null` = unanswered), or `None` when a person grades it.
pub fn grade(
    kind: QuestionKind,
    key: &Value,
    partial_credit: bool,
    points: Decimal,
    answer: &Value,
) -> Option<Decimal> {
    if kind.is_manual() {
        return if answer.is_null() {
            Some(Decimal::ZERO)
        } else {
            None
        };
    }
    if answer.is_null() {
        return Some(Decimal::ZERO);
    }
    let full = |ok: bool| if ok { points } else { Decimal::ZERO };
    let correct: Vec<&str> = key["correct"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    Some(match kind {
        QuestionKind::SingleChoice => full(answer.as_str().is_some_and(|a| correct.contains(&a))),
        QuestionKind::MultipleChoice => {
            let chosen: Vec<&str> = answer
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let right = chosen.iter().filter(|c| correct.contains(c)).count() as i64;
            let wrong = chosen.len() as i64 - right;
            if partial_credit {
                if correct.is_empty() {
                    Decimal::ZERO
                } else {
                    (points * Decimal::from((right - wrong).max(0))
                        / Decimal::from(correct.len() as i64))
                    .round_dp(2)
                }
            } else {
                full(wrong == 0 && right == correct.len() as i64)
            }
        }
        QuestionKind::TrueFalse => {
            full(answer.as_bool().is_some() && answer.as_bool() == key["value"].as_bool())
        }
        QuestionKind::ShortAnswer => {
            let cs = key["case_sensitive"].as_bool().unwrap_or(false);
            let given = normalize_text(answer.as_str().unwrap_or_default(), cs);
            full(key["accepted"].as_array().is_some_and(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .any(|x| normalize_text(x, cs) == given)
            }))
        }
        QuestionKind::Numeric => {
            let value = decimal_of(&key["value"]);
            let tolerance = decimal_of(&key["tolerance"]).unwrap_or(Decimal::ZERO);
            full(match (decimal_of(answer), value) {
                (Some(a), Some(v)) => a.checked_sub(v).is_some_and(|d| d.abs() <= tolerance),
                _ => false,
            })
        }
        QuestionKind::Essay | QuestionKind::FileUpload => Decimal::ZERO,
    })
}

/// An attempt's percent of `max_score`, two decimals, halves away from zero (0 when the
/// assessment is worth nothing).
pub fn percent(score: Decimal, max_score: Decimal) -> Decimal {
    if max_score.is_zero() {
        Decimal::ZERO
    } else {
        (score * Decimal::ONE_HUNDRED / max_score)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// The options in an attempt's order: shuffled by the attempt's seed, the same on every read.
pub fn ordered_options(options: &[OptionResponse], seed: Option<i64>) -> Vec<OptionResponse> {
    let mut out = options.to_vec();
    if let Some(seed) = seed {
        out.sort_by_cached_key(|o| Sha256::digest(format!("{seed}:{}", o.id).as_bytes()).to_vec());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn q(kind: &str) -> QuestionRequest {
        QuestionRequest {
            kind: kind.parse().unwrap(),
            prompt: "Q?".parse().unwrap(),
            points: Some(Decimal::from(4)),
            options: vec![],
            correct_options: vec![],
            correct: None,
            accepted_answers: vec![],
            case_sensitive: false,
            numeric_answer: None,
            tolerance: None,
            partial_credit: false,
            explanation: Default::default(),
            position: None,
        }
    }

    #[test]
    fn multiple_choice_partial_credit_subtracts_wrong_choices() {
        let mut m = q("multiple_choice");
        m.options = vec![
            "a".parse().unwrap(),
            "b".parse().unwrap(),
            "c".parse().unwrap(),
            "d".parse().unwrap(),
        ];
        m.correct_options = vec![0, 2];
        m.partial_credit = true;
        let (_, opts, key) = build(&m).unwrap();
        let id = |i: usize| Value::String(opts[i].id.clone());
        let four = Decimal::from(4);
        assert_eq!(
            grade(
                QuestionKind::MultipleChoice,
                &key,
                true,
                four,
                &json!([id(0), id(2)])
            ),
            Some(four)
        );
        assert_eq!(
            grade(
                QuestionKind::MultipleChoice,
                &key,
                true,
                four,
                &json!([id(0)])
            ),
            Some(Decimal::from(2))
        );
        assert_eq!(
            grade(
                QuestionKind::MultipleChoice,
                &key,
                true,
                four,
                &json!([id(0), id(1)])
            ),
            Some(Decimal::ZERO)
        );
        assert_eq!(
            grade(
                QuestionKind::MultipleChoice,
                &key,
                false,
                four,
                &json!([id(0)])
            ),
            Some(Decimal::ZERO)
        );
    }

    #[test]
    fn short_answer_and_numeric_rules() {
        let mut s = q("short_answer");
        s.accepted_answers = vec!["New  York".parse().unwrap()];
        let (_, _, key) = build(&s).unwrap();
        let p = Decimal::ONE;
        assert_eq!(
            grade(
                QuestionKind::ShortAnswer,
                &key,
                false,
                p,
                &json!("  new york ")
            ),
            Some(p)
        );
        let mut n = q("numeric");
        n.numeric_answer = Some(Decimal::from_str("3.14").unwrap());
        n.tolerance = Some(Decimal::from_str("0.01").unwrap());
        let (_, _, key) = build(&n).unwrap();
        assert_eq!(
            grade(QuestionKind::Numeric, &key, false, p, &json!(3.15)),
            Some(p)
        );
        assert_eq!(
            grade(QuestionKind::Numeric, &key, false, p, &json!("3.16")),
            Some(Decimal::ZERO)
        );
        assert_eq!(
            grade(QuestionKind::Essay, &json!({}), false, p, &json!("text")),
            None
        );
        assert_eq!(
            grade(QuestionKind::Essay, &json!({}), false, p, &Value::Null),
            Some(Decimal::ZERO)
        );
    }

    #[test]
    fn huge_numbers_are_refused_not_overflowed() {
        let huge = json!("-79228162514264337593543950335");
        assert!(check_answer(QuestionKind::Numeric, &[], &huge).is_err());
        let key = json!({"value": "3.14", "tolerance": "0"});
        assert_eq!(
            grade(QuestionKind::Numeric, &key, false, Decimal::ONE, &huge),
            Some(Decimal::ZERO)
        );
        let mut n = q("numeric");
        n.numeric_answer = Some(Decimal::MAX);
        assert!(build(&n).is_err());
    }

    #[test]
    fn bad_keys_are_refused() {
        let mut s = q("single_choice");
        s.options = vec!["a".parse().unwrap(), "b".parse().unwrap()];
        s.correct_options = vec![0, 1];
        assert!(build(&s).is_err());
        assert!(build(&q("true_false")).is_err());
        // Unknown kinds are refused at `#/kind`, with the other fields' problems.
        let mut riddle = q("essay");
        riddle.kind = serde_json::from_value(json!("riddle")).unwrap();
        let riddle = build(&riddle).unwrap_err();
        assert_eq!(riddle[0].pointer, "#/kind");
    }

    #[test]
    fn percent_has_two_decimals_with_halves_away_from_zero() {
        assert_eq!(percent(d("13.5"), d("15")), d("90"));
        assert_eq!(percent(d("2"), d("3")), d("66.67"));
        // 0.125 %: banker's rounding would give 0.12.
        assert_eq!(percent(d("0.01"), d("8")), d("0.13"));
        assert_eq!(percent(Decimal::ZERO, Decimal::ZERO), Decimal::ZERO);
    }

    #[test]
    fn answers_are_checked_by_kind() {
        let options = vec![OptionResponse {
            id: "a1".into(),
            text: "A".into(),
        }];
        assert!(check_answer(QuestionKind::SingleChoice, &options, &json!("a1")).is_ok());
        assert!(check_answer(QuestionKind::SingleChoice, &options, &json!("zz")).is_err());
        assert!(
            check_answer(QuestionKind::MultipleChoice, &options, &json!(["a1", "a1"])).is_err()
        );
        assert_eq!(
            check_answer(QuestionKind::Numeric, &[], &json!(3.10)).unwrap(),
            json!("3.1")
        );
        assert!(check_answer(QuestionKind::FileUpload, &[], &json!("ftp://x")).is_err());
        assert!(
            check_answer(
                QuestionKind::FileUpload,
                &[],
                &json!("https://x.test/a.pdf")
            )
            .is_ok()
        );
    }
}
