//! `solana-type-cosplay`
//!
//! What it detects: account data deserialised into a type declared in the
//! package with a deserialiser that does not check a type tag (Borsh
//! `try_from_slice`/`deserialize`, bytemuck `from_bytes`, Anchor
//! `try_deserialize_unchecked`) when the type has no discriminator field, or
//! has one that the instruction never compares.
//!
//! Why it matters: an account of another type with a compatible layout (for
//! example `Metadata { account: Pubkey }` for `User { authority: Pubkey }`)
//! passes for the expected type.
//!
//! Example: `User::try_from_slice(&data)` where `User { authority: Pubkey }` has no tag and `Metadata { account: Pubkey }` has the same layout.
//!
//! Recommendation: `Account<'info, T>` with `#[account]` types (8-byte
//! discriminator), or a discriminator field compared before use.

use super::{Ctx, Rule, finding};
use crate::{Confidence, Finding, Severity};

pub(super) const RULE: Rule = Rule {
    id: "solana-type-cosplay",
    title: "Account deserialised without a type discriminator check",
    severity: Severity::High,
    confidence: Confidence::Medium,
    class: "type-cosplay",
    description: "Account data is deserialised into a type without checking a discriminator, so an account of another type with a compatible layout is accepted.",
    recommendation: "Use Anchor `#[account]` types through `Account<'info, T>`, or store a discriminator (an enum or fixed tag) as the first field and compare it before use.",
};

const UNTAGGED: &[&str] = &[
    "try_from_slice",
    "from_slice",
    "try_from_slice_unchecked",
    "deserialize",
    "from_bytes",
    "try_from_bytes",
    "from_bytes_mut",
    "try_from_bytes_mut",
    "try_deserialize_unchecked",
];

fn tag_like(field: &str, ty: &str, cx: &Ctx<'_, '_>) -> bool {
    let f = field.to_ascii_lowercase();
    f.contains("discriminat")
        || f.contains("type")
        || f.contains("kind")
        || f.contains("tag")
        || cx.index.data_types.get(ty).is_some_and(|d| d.is_enum)
}

pub(super) fn check(cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
    for ix in &cx.program.instructions {
        for d in &ix.facts.data_vars {
            if !UNTAGGED.contains(&d.method.as_str()) {
                continue;
            }
            let unchecked_anchor = d.method == "try_deserialize_unchecked";
            let ty_name = d.ty.rsplit("::").next().unwrap_or(&d.ty);
            let Some(ty) = cx.index.data_types.get(ty_name) else {
                if unchecked_anchor {
                    out.push(finding(&RULE, &d.location, format!("`{}` is deserialised with `try_deserialize_unchecked`, which skips the discriminator", d.account), Some(ix), Some(&d.account)));
                }
                continue;
            };
            if ty.is_enum {
                continue;
            }
            // An Anchor `#[account]` type read with Borsh directly (`&data[8..]`)
            // skips its discriminator just like `try_deserialize_unchecked`.
            let tags: Vec<&str> = ty
                .fields
                .iter()
                .filter(|_| !ty.anchor_account)
                .filter(|(n, t)| tag_like(n, t, cx))
                .map(|(n, _)| n.as_str())
                .collect();
            let compared = ix.facts.data_accesses.iter().any(|a| {
                a.var == d.name
                    && (a.cond || a.cmp)
                    && a.segs.first().is_some_and(|s| tags.contains(&s.as_str()))
            });
            // A tag compared by hand (`data[..8] != User::DISCRIMINATOR`).
            // Or a tag byte of the account's data (`data[0] == TAG`).
            let compared_raw = ix.facts.compares.iter().any(|c| {
                c.sides().iter().any(|s| {
                    let t = s.text.to_ascii_lowercase();
                    t.contains("discriminator")
                        || t.contains("discriminant")
                        || s.account.as_ref().is_some_and(|(a, segs)| {
                            a == &d.account
                                && segs
                                    .first()
                                    .is_some_and(|x| x == "data" || x.contains("borrow"))
                        })
                })
            });
            if compared || compared_raw {
                continue;
            }
            let why = if ty.anchor_account {
                format!("`{}` skips the Anchor discriminator", d.method)
            } else if tags.is_empty() {
                format!("`{}` has no discriminator field", d.ty)
            } else {
                format!(
                    "its discriminator `{}` is never compared",
                    tags.join("`, `")
                )
            };
            out.push(finding(
                &RULE,
                &d.location,
                format!("`{}` is deserialised as `{}` but {why}", d.account, d.ty),
                Some(ix),
                Some(&d.account),
            ));
        }
    }
}
