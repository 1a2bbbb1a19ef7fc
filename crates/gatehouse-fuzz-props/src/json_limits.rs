//! Property: any request body is decided without panicking, in bounded
//! memory, and the same way by the compiled evaluator (whole and streamed
//! in chunks) and by the reference interpreter.
//!
//! The first byte picks the chunk size; the rest is the body, sent to an
//! endpoint with tight JSON limits and field rules, and to one with only
//! the built-in limits.

use std::sync::OnceLock;

use gatehouse::{Begin, PolicySet, Request};

const POLICY: &str = r#"
api "fuzz"
endpoint POST /rules {
  public
  body max 4KiB
  body json limits(depth: 4, array: 8, object: 8, key: 16, string: 64) {
    name: string(1..8) matches "^[a-z]+$"
    n?: int(0..9)
    f?: number(0..1.5)
    tags?: array(..3) of enum("a", "b", 1)
    o?: { k: bool, ... }
    id?: uuid
  }
}
endpoint PUT /any { public }
"#;

fn policy() -> &'static PolicySet {
    static POLICY_SET: OnceLock<PolicySet> = OnceLock::new();
    POLICY_SET.get_or_init(|| {
        PolicySet::from_source("fuzz.gate", POLICY).expect("the fuzz policy checks")
    })
}

/// Checks the property on one input; panics when it does not hold.
pub fn run(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first).max(1);
    let set = policy();
    let peer = "192.0.2.1".parse().expect("an address");
    let headers = [("Content-Type", "application/json")];
    for (method, path) in [("POST", "/rules"), ("PUT", "/any")] {
        let request = Request::new(method, path, peer)
            .headers(&headers)
            .body(body);
        let whole = set.decide(&request);
        let streamed = match set.begin(&request) {
            Begin::Decided(d) => d,
            Begin::Body(mut check) => {
                let mut early = None;
                for piece in body.chunks(chunk) {
                    early = check.feed(piece);
                    if early.is_some() {
                        break;
                    }
                }
                early.unwrap_or_else(|| check.finish())
            }
        };
        assert_eq!(whole, streamed, "streaming in chunks of {chunk} disagrees");
        assert_eq!(
            whole,
            gatehouse_tools::interp::interpret(set, &request),
            "the interpreter disagrees"
        );
    }
}
