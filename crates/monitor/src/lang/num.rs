//! Numbers of the condition language: a sign and a 256-bit magnitude, so that every
//! `uintN` and `intN` value (and every literal) is one exact integer, compared
//! mathematically across widths and signedness without wrapping.

use std::cmp::Ordering;
use std::fmt;

use alloy_primitives::{I256, U256};

/// A numeric type: `uintN` or `intN`, `bits` in `1..=256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumTy {
    pub(crate) signed: bool,
    pub(crate) bits: usize,
}

impl NumTy {
    pub(crate) fn uint(bits: usize) -> Self {
        Self {
            signed: false,
            bits: bits.clamp(1, 256),
        }
    }

    pub(crate) fn int(bits: usize) -> Self {
        Self {
            signed: true,
            bits: bits.clamp(1, 256),
        }
    }
}

impl fmt::Display for NumTy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.signed { "int" } else { "uint" };
        write!(f, "{kind}{}", self.bits)
    }
}

/// An integer in `-(2^256 - 1) ..= 2^256 - 1`; zero is never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Num {
    negative: bool,
    magnitude: U256,
}

impl Num {
    pub(crate) const ZERO: Self = Self {
        negative: false,
        magnitude: U256::ZERO,
    };

    fn new(negative: bool, magnitude: U256) -> Self {
        Self {
            negative: negative && !magnitude.is_zero(),
            magnitude,
        }
    }

    pub(crate) fn from_uint(value: U256) -> Self {
        Self::new(false, value)
    }

    pub(crate) fn from_int(value: I256) -> Self {
        let (sign, magnitude) = value.into_sign_and_abs();
        Self::new(sign.is_negative(), magnitude)
    }

    pub(crate) fn is_zero(self) -> bool {
        self.magnitude.is_zero()
    }

    pub(crate) fn negate(self) -> Self {
        Self::new(!self.negative, self.magnitude)
    }

    pub(crate) fn abs(self) -> Self {
        Self::new(false, self.magnitude)
    }

    /// `self + other`, `None` beyond 256 bits of magnitude.
    pub(crate) fn add(self, other: Self) -> Option<Self> {
        if self.negative == other.negative {
            let magnitude = self.magnitude.checked_add(other.magnitude)?;
            return Some(Self::new(self.negative, magnitude));
        }
        Some(match self.magnitude.cmp(&other.magnitude) {
            Ordering::Less => Self::new(other.negative, other.magnitude - self.magnitude),
            _ => Self::new(self.negative, self.magnitude - other.magnitude),
        })
    }

    pub(crate) fn sub(self, other: Self) -> Option<Self> {
        self.add(other.negate())
    }

    pub(crate) fn mul(self, other: Self) -> Option<Self> {
        let magnitude = self.magnitude.checked_mul(other.magnitude)?;
        Some(Self::new(self.negative != other.negative, magnitude))
    }

    /// Division truncating toward zero (as Solidity does); `None` for a zero divisor.
    pub(crate) fn div(self, other: Self) -> Option<Self> {
        let magnitude = self.magnitude.checked_div(other.magnitude)?;
        Some(Self::new(self.negative != other.negative, magnitude))
    }

    /// Remainder with the sign of the dividend (as Solidity's `%`); `None` for zero.
    pub(crate) fn rem(self, other: Self) -> Option<Self> {
        let magnitude = self.magnitude.checked_rem(other.magnitude)?;
        Some(Self::new(self.negative, magnitude))
    }

    /// Whether the value is in the range of `ty`.
    pub(crate) fn fits(self, ty: NumTy) -> bool {
        let bits = self.magnitude.bit_len();
        match (ty.signed, self.negative) {
            (false, false) => bits <= ty.bits,
            (false, true) => false,
            (true, false) => bits < ty.bits,
            // -2^(n-1) is the smallest intN: magnitude - 1 needs at most n-1 bits.
            (true, true) => (self.magnitude - U256::from(1u8)).bit_len() < ty.bits,
        }
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, false) => self.magnitude.cmp(&other.magnitude),
            (true, true) => other.magnitude.cmp(&self.magnitude),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(f, "{}", self.magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(value: i64) -> Num {
        Num::from_int(I256::try_from(value).unwrap())
    }

    #[test]
    fn arithmetic_follows_solidity_signs() {
        assert_eq!(n(-7).div(n(2)), Some(n(-3)));
        assert_eq!(n(-7).rem(n(2)), Some(n(-1)));
        assert_eq!(n(7).rem(n(-2)), Some(n(1)));
        assert_eq!(n(3).sub(n(5)), Some(n(-2)));
        assert_eq!(n(-3).sub(n(-3)), Some(Num::ZERO));
        assert_eq!(n(-3).add(n(3)), Some(Num::ZERO));
        assert_eq!(n(1).div(Num::ZERO), None);
        assert_eq!(Num::from_uint(U256::MAX).add(n(1)), None);
        assert_eq!(Num::from_uint(U256::MAX).negate().sub(n(1)), None);
    }

    #[test]
    fn ranges_of_types() {
        assert!(n(255).fits(NumTy::uint(8)));
        assert!(!n(256).fits(NumTy::uint(8)));
        assert!(!n(-1).fits(NumTy::uint(256)));
        assert!(n(127).fits(NumTy::int(8)));
        assert!(!n(128).fits(NumTy::int(8)));
        assert!(n(-128).fits(NumTy::int(8)));
        assert!(!n(-129).fits(NumTy::int(8)));
        assert!(Num::from_int(I256::MIN).fits(NumTy::int(256)));
        assert!(!Num::from_int(I256::MIN).abs().fits(NumTy::int(256)));
        assert!(Num::from_int(I256::MIN).abs().fits(NumTy::uint(256)));
    }

    #[test]
    fn order_is_mathematical() {
        assert!(n(-1) < Num::ZERO);
        assert!(Num::from_int(I256::MIN) < Num::from_uint(U256::ZERO));
        assert!(Num::from_uint(U256::MAX) > Num::from_int(I256::MAX));
        assert!(n(-5) < n(-4));
    }
}
