//! Who may call `serve`: a bearer token (`--token-env`), compared in constant time, and
//! HubSpot's request signature v3 (`--hubspot-secret-env`), as HubSpot's developer
//! documentation gives it ("Validating requests", developers.hubspot.com/docs/apps/
//! developer-platform/build-apps/authentication/request-validation):
//!
//! - `X-HubSpot-Signature-v3` is base64 of HMAC-SHA256, keyed with the app's client
//!   secret, over the UTF-8 string method + URI + raw body + `X-HubSpot-Request-Timestamp`;
//! - the URI is the full address HubSpot called (`https://host/path?query`), with the
//!   URL-encoded characters of HubSpot's table decoded (`%3A` `:`, `%2F` `/`, `%3F` `?`,
//!   `%40` `@`, `%21` `!`, `%24` `$`, `%27` `'`, `%28` `(`, `%29` `)`, `%2A` `*`, `%2C`
//!   `,`, `%3B` `;`);
//! - a timestamp (milliseconds) more than 5 minutes old is refused.
//!
//! No HTTP here: the server hands over the headers' values.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The oldest signed request accepted, in milliseconds (HubSpot: 5 minutes).
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;

/// Whether `header` (an `Authorization` value) carries `token` as a bearer token; the
/// token bytes are compared in constant time.
pub fn bearer_ok(header: Option<&str>, token: &str) -> bool {
    let Some(h) = header else { return false };
    let Some(given) = h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")) else { return false };
    // Equal lengths are compared in constant time; a length mismatch fails at once
    // (it tells only the length, which HMAC-free tokens of fixed size don't hide anyway).
    given.trim().as_bytes().ct_eq(token.as_bytes()).into()
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureProblem {
    Missing(&'static str),
    BadTimestamp,
    Stale { age_ms: i64 },
    Mismatch,
}

impl SignatureProblem {
    pub fn describe(&self) -> String {
        match self {
            SignatureProblem::Missing(h) => format!("the {h} header is missing"),
            SignatureProblem::BadTimestamp => "X-HubSpot-Request-Timestamp is not a time in milliseconds".into(),
            SignatureProblem::Stale { age_ms } => {
                format!("the request was signed {} s ago; at most 300 s are accepted", age_ms / 1000)
            }
            SignatureProblem::Mismatch => "X-HubSpot-Signature-v3 does not match the request".into(),
        }
    }
}

/// The URI as HubSpot signs it: the characters of its table decoded.
pub fn hubspot_uri(uri: &str) -> String {
    const TABLE: [(&str, &str); 12] = [
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ];
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    'outer: while !rest.is_empty() {
        if let Some(head) = rest.get(..3).filter(|h| h.starts_with('%')) {
            for (enc, dec) in TABLE {
                if head.eq_ignore_ascii_case(enc) {
                    out.push_str(dec);
                    rest = &rest[3..];
                    continue 'outer;
                }
            }
        }
        let ch = rest.chars().next().unwrap_or('%');
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}

/// The v3 signature of a request (base64 of the HMAC-SHA256).
pub fn hubspot_signature(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(method.as_bytes());
    mac.update(hubspot_uri(uri).as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Check a request's v3 signature at `now_ms` (milliseconds since the epoch).
pub fn hubspot_check(
    secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    now_ms: i64,
) -> Result<(), SignatureProblem> {
    let signature = signature.ok_or(SignatureProblem::Missing("X-HubSpot-Signature-v3"))?;
    let timestamp = timestamp.ok_or(SignatureProblem::Missing("X-HubSpot-Request-Timestamp"))?;
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureProblem::BadTimestamp)?;
    let age_ms = now_ms - ts;
    if age_ms > MAX_AGE_MS {
        return Err(SignatureProblem::Stale { age_ms });
    }
    let expected = hubspot_signature(secret, method, uri, body, timestamp);
    match bool::from(expected.as_bytes().ct_eq(signature.trim().as_bytes())) {
        true => Ok(()),
        false => Err(SignatureProblem::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_match_exactly() {
        assert!(bearer_ok(Some("Bearer s3cret"), "s3cret"));
        assert!(!bearer_ok(Some("Bearer s3cre"), "s3cret"));
        assert!(!bearer_ok(Some("Bearer s3cretx"), "s3cret"));
        assert!(!bearer_ok(Some("Basic s3cret"), "s3cret"));
        assert!(!bearer_ok(None, "s3cret"));
    }

    #[test]
    fn the_uri_is_decoded_as_hubspot_lists_and_no_further() {
        assert_eq!(
            hubspot_uri("https://x.example/v1/score?email=a%40b.c%2Cd&n=%20"),
            "https://x.example/v1/score?email=a@b.c,d&n=%20"
        );
    }

    #[test]
    fn a_signature_is_checked_for_age_and_content() {
        let (secret, uri, body, now) = ("sec", "https://x.example/v1/score", br#"{"a":1}"#, 1_700_000_000_000i64);
        let ts = (now - 1000).to_string();
        let sig = hubspot_signature(secret, "POST", uri, body, &ts);
        assert_eq!(hubspot_check(secret, "POST", uri, body, Some(&sig), Some(&ts), now), Ok(()));
        assert_eq!(
            hubspot_check(secret, "POST", uri, b"{\"a\":2}", Some(&sig), Some(&ts), now),
            Err(SignatureProblem::Mismatch)
        );
        let old = (now - MAX_AGE_MS - 1).to_string();
        let sig_old = hubspot_signature(secret, "POST", uri, body, &old);
        assert!(matches!(
            hubspot_check(secret, "POST", uri, body, Some(&sig_old), Some(&old), now),
            Err(SignatureProblem::Stale { .. })
        ));
        assert_eq!(
            hubspot_check(secret, "POST", uri, body, None, Some(&ts), now),
            Err(SignatureProblem::Missing("X-HubSpot-Signature-v3"))
        );
    }
}
