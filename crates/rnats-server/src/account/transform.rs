//! Subject transforms of imports: a prefix, or a destination whose wildcard tokens (`*`,
//! `$N`, `{{wildcard(N)}}`, `>`) take the matching tokens of the source subject.

use rnats_subject::is_valid_subject;

/// Turns subjects matching a filter into subjects of another account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transform {
    /// The subject is kept.
    Identity,
    /// `prefix.` is put in front of the subject.
    Prefix(Box<[u8]>),
    /// Tokens rebuilt from the destination's parts.
    Map(Vec<Part>),
}

/// One token of a mapping destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// A literal token.
    Literal(Box<[u8]>),
    /// The source's N-th `*` token (1-based).
    Wildcard(usize),
    /// The source's tokens matched by its trailing `>`.
    Rest,
}

/// Why a mapping cannot be made, in the reference's words (after "invalid ...").
pub(crate) type TransformError = String;

/// The tokens of a valid subject.
fn tokens(subject: &str) -> impl Iterator<Item = &str> {
    subject.split('.')
}

/// The wildcard index a destination token names, if it names one.
fn wildcard_index(token: &str) -> Option<Result<usize, ()>> {
    let digits = token
        .strip_prefix('$')
        .or_else(|| {
            token
                .strip_prefix("{{wildcard(")
                .and_then(|t| t.strip_suffix(")}}"))
        })?
        .trim();
    Some(digits.parse::<usize>().map_err(|_| ()))
}

impl Transform {
    /// A mapping from `source` (a filter) to `destination`. When `strict`, every wildcard of
    /// the source must appear in the destination (a service reply must be mappable back).
    pub(crate) fn new(
        source: &str,
        destination: &str,
        strict: bool,
    ) -> Result<Self, TransformError> {
        if !is_valid_subject(source.as_bytes()) || !is_valid_subject(destination.as_bytes()) {
            return Err("invalid subject".to_owned());
        }
        let stars = tokens(source).filter(|t| *t == "*").count();
        let source_rest = source == ">" || source.ends_with(".>");
        let mut next_star = 0;
        let mut used = vec![false; stars];
        let mut parts = Vec::new();
        for token in tokens(destination) {
            let index = match (token, wildcard_index(token)) {
                ("*", _) => {
                    next_star += 1;
                    Some((next_star, format!("${next_star}")))
                }
                (">", _) => {
                    if !source_rest {
                        return Err("invalid subject".to_owned());
                    }
                    parts.push(Part::Rest);
                    continue;
                }
                (_, Some(Ok(index))) => Some((index, token.to_owned())),
                (_, Some(Err(()))) => {
                    return Err(format!(
                        "invalid mapping destination: wildcard index out of range in {token}"
                    ));
                }
                (_, None) => None,
            };
            match index {
                Some((index, shown)) => {
                    if index == 0 || index > stars {
                        return Err(format!(
                            "invalid mapping destination: wildcard index out of range in \
                             {shown}: [{index}]"
                        ));
                    }
                    used[index - 1] = true;
                    parts.push(Part::Wildcard(index));
                }
                None => parts.push(Part::Literal(token.as_bytes().into())),
            }
        }
        let rest_used = parts.contains(&Part::Rest);
        if strict && (used.contains(&false) || source_rest != rest_used) {
            return Err(format!(
                "invalid mapping destination: not using all of the token wildcard(s) in \
                 {destination}"
            ));
        }
        Ok(Transform::Map(parts))
    }

    /// A mapping of every subject its filter matches to the one subject `subject`, whose
    /// tokens are all taken as written.
    pub(crate) fn fixed(subject: &str) -> Self {
        Transform::Map(
            tokens(subject)
                .map(|token| Part::Literal(token.as_bytes().into()))
                .collect(),
        )
    }

    /// The reverse of a strict mapping `source -> destination`: the filter to match subjects
    /// of the destination's form, and the mapping from them back to the source's form.
    pub(crate) fn inverse(
        source: &str,
        destination: &str,
    ) -> Result<(String, Self), TransformError> {
        let Transform::Map(forward) = Transform::new(source, destination, true)? else {
            return Err("invalid subject".to_owned());
        };
        // Position (1-based, among the destination's wildcard tokens) of each source wildcard.
        let mut filter = Vec::new();
        let mut order = Vec::new();
        for part in &forward {
            match part {
                Part::Literal(token) => filter.push(String::from_utf8_lossy(token).into_owned()),
                Part::Wildcard(index) => {
                    filter.push("*".to_owned());
                    order.push(*index);
                }
                Part::Rest => filter.push(">".to_owned()),
            }
        }
        let mut star = 0;
        let parts = tokens(source)
            .map(|token| match token {
                "*" => {
                    star += 1;
                    let position = order.iter().position(|i| *i == star).unwrap_or(0);
                    Part::Wildcard(position + 1)
                }
                ">" => Part::Rest,
                literal => Part::Literal(literal.as_bytes().into()),
            })
            .collect();
        Ok((filter.join("."), Transform::Map(parts)))
    }

    /// The subject `subject` (which matches the transform's filter `filter`) becomes.
    pub(crate) fn apply(&self, filter: &[u8], subject: &[u8]) -> Vec<u8> {
        match self {
            Transform::Identity => subject.to_vec(),
            Transform::Prefix(prefix) => {
                let mut out = Vec::with_capacity(prefix.len() + 1 + subject.len());
                out.extend_from_slice(prefix);
                out.push(b'.');
                out.extend_from_slice(subject);
                out
            }
            Transform::Map(parts) => {
                let mut stars = Vec::new();
                let mut rest: &[u8] = b"";
                let mut offset = 0;
                for token in filter.split(|b| *b == b'.') {
                    let tail = subject.get(offset..).unwrap_or_default();
                    if token == b">" {
                        rest = tail;
                        break;
                    }
                    let end = tail.iter().position(|b| *b == b'.').unwrap_or(tail.len());
                    if token == b"*" {
                        stars.push(tail.get(..end).unwrap_or_default());
                    }
                    offset += end + 1;
                }
                let mut out = Vec::with_capacity(subject.len() + 16);
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(b'.');
                    }
                    match part {
                        Part::Literal(token) => out.extend_from_slice(token),
                        Part::Wildcard(index) => {
                            out.extend_from_slice(
                                stars
                                    .get(index.wrapping_sub(1))
                                    .copied()
                                    .unwrap_or_default(),
                            );
                        }
                        Part::Rest => out.extend_from_slice(rest),
                    }
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_wildcards_by_position_and_index() {
        let t = Transform::new("s.*.*", "t.$2.$1", false).expect("valid");
        assert_eq!(t.apply(b"s.*.*", b"s.a.b"), b"t.b.a");
        let t = Transform::new("s.*.>", "t.*.>", false).expect("valid");
        assert_eq!(t.apply(b"s.*.>", b"s.a.b.c"), b"t.a.b.c");
        let prefix = Transform::Prefix(b"p"[..].into());
        assert_eq!(prefix.apply(b"x.>", b"x.y"), b"p.x.y");
    }

    #[test]
    fn refuses_what_the_reference_refuses() {
        assert_eq!(
            Transform::new("s.*", "t.$2", false),
            Err("invalid mapping destination: wildcard index out of range in $2: [2]".into())
        );
        assert_eq!(
            Transform::new("s.*", "t.*.*", false),
            Err("invalid mapping destination: wildcard index out of range in $2: [2]".into())
        );
        assert_eq!(
            Transform::new("s.*", "t", true),
            Err("invalid mapping destination: not using all of the token wildcard(s) in t".into())
        );
    }

    #[test]
    fn inverse_maps_back() {
        let (filter, back) = Transform::inverse("s.*.x.*", "t.$2.$1").expect("valid");
        assert_eq!(filter, "t.*.*");
        assert_eq!(back.apply(filter.as_bytes(), b"t.b.a"), b"s.a.x.b");
        let (filter, back) = Transform::inverse("s.>", "t.>").expect("valid");
        assert_eq!(filter, "t.>");
        assert_eq!(back.apply(filter.as_bytes(), b"t.a.b"), b"s.a.b");
    }
}
