//! Rounding amounts to the ledger's precision without losing a cent.

use rust_decimal::Decimal;

use crate::money::round_dp;

/// Rounds each amount to `dp` places so that the rounded amounts add up to the rounded sum
/// of the exact amounts (largest-remainder method). The cents that plain rounding would lose
/// or invent go to the amounts whose rounding moved them furthest; ties go to the earlier
/// amount, so the result is deterministic.
///
/// ```
/// use bc_core::plan::allocate_rounded;
/// use rust_decimal_macros::dec;
/// // Three taxes of 0.3333 each: plain rounding gives 0.99, the exact sum rounds to 1.00.
/// let r = allocate_rounded(&[dec!(0.3333), dec!(0.3333), dec!(0.3334)], 2);
/// assert_eq!(r, vec![dec!(0.33), dec!(0.33), dec!(0.34)]);
/// assert_eq!(r.iter().sum::<rust_decimal::Decimal>(), dec!(1.00));
/// ```
pub fn allocate_rounded(amounts: &[Decimal], dp: u32) -> Vec<Decimal> {
    let mut rounded: Vec<Decimal> = amounts.iter().map(|a| round_dp(*a, dp)).collect();
    let target = round_dp(amounts.iter().copied().sum(), dp);
    let unit = Decimal::new(1, dp);
    let mut residual = target - rounded.iter().copied().sum::<Decimal>();
    if residual.is_zero() || amounts.is_empty() {
        return rounded;
    }
    // Order candidates by how much rounding moved them against the residual's direction.
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    let positive = residual > Decimal::ZERO;
    order.sort_by(|&a, &b| {
        let ea = amounts[a] - rounded[a];
        let eb = amounts[b] - rounded[b];
        let (ka, kb) = if positive { (ea, eb) } else { (-ea, -eb) };
        kb.cmp(&ka).then(a.cmp(&b))
    });
    let mut i = 0;
    while !residual.is_zero() {
        let idx = order[i % order.len()];
        if positive {
            rounded[idx] += unit;
            residual -= unit;
        } else {
            rounded[idx] -= unit;
            residual += unit;
        }
        i += 1;
    }
    rounded
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn empty_and_exact() {
        assert!(allocate_rounded(&[], 2).is_empty());
        assert_eq!(
            allocate_rounded(&[dec!(1.10), dec!(2.20)], 2),
            vec![dec!(1.10), dec!(2.20)]
        );
    }

    #[test]
    fn negative_residual() {
        // 0.335 + 0.335 = 0.67 exactly; plain rounding gives 0.34 + 0.34 = 0.68.
        let r = allocate_rounded(&[dec!(0.335), dec!(0.335)], 2);
        assert_eq!(r.iter().copied().sum::<Decimal>(), dec!(0.67));
        assert_eq!(r, vec![dec!(0.33), dec!(0.34)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn sum_of_rounded_is_rounded_sum(units in proptest::collection::vec(-1_000_000i64..1_000_000, 0..60), dp in 0u32..=3) {
            let amounts: Vec<Decimal> = units.iter().map(|u| Decimal::new(*u, 4)).collect();
            let r = allocate_rounded(&amounts, dp);
            prop_assert_eq!(r.len(), amounts.len());
            prop_assert_eq!(r.iter().copied().sum::<Decimal>(), round_dp(amounts.iter().copied().sum(), dp));
            for (a, b) in amounts.iter().zip(&r) {
                // Never moved by more than one unit from plain rounding.
                prop_assert!((round_dp(*a, dp) - *b).abs() <= Decimal::new(1, dp));
                prop_assert!(b.scale() <= dp.max(b.scale()));
            }
        }
    }
}
