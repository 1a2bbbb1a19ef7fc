//! Property: for random JSON responses cut into random chunks, what the
//! layer answers is the library's `mask_response` of the whole body, and
//! a body `mask_response` refuses is withheld.

// Tests may unwrap, index and panic: a panic here is a failing test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::net::IpAddr;

use bytes::Bytes;
use gatehouse::mask::MaskConfig;
use gatehouse::{PolicySet, Request};
use gatehouse_tower::{GatehouseLayer, PeerAddr, RequestBody};
use proptest::prelude::*;
use serde_json::{Map, Value};
use support::{bytes, Chunks};
use tower::ServiceExt;

const POLICY: &str = r#"
api "people" version "1"
endpoint GET /people/{id} {
  public
  response only $.id, $.name, $.ssn, $.items, $.contact
  mask response $.ssn keep last 4
  mask response $.items[*].email with email
  mask response $..token with remove
}
"#;

/// Values with the member names the rules look at, so that masks apply.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-z0-9@. é\"\\\\\n-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((name(), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id".to_string()),
        Just("name".to_string()),
        Just("ssn".to_string()),
        Just("items".to_string()),
        Just("email".to_string()),
        Just("token".to_string()),
        Just("contact".to_string()),
        "[a-z]{1,4}",
    ]
}

fn document() -> impl Strategy<Value = Value> {
    prop::collection::vec((name(), json_value()), 0..6)
        .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>()))
}

/// What the layer answers when its handler sends `chunks`.
async fn through_layer(policy: &PolicySet, chunks: Vec<Bytes>) -> (u16, Bytes) {
    let service = tower::ServiceBuilder::new()
        .layer(GatehouseLayer::new(policy.clone()).audit_sink(|_: &Value| {}))
        .service(tower::service_fn(
            move |_: http::Request<RequestBody<Chunks>>| {
                let chunks = chunks.clone();
                async move {
                    let response = http::Response::builder()
                        .header("content-type", "application/json")
                        .body(Chunks::new(chunks))
                        .unwrap();
                    Ok::<_, std::convert::Infallible>(response)
                }
            },
        ));
    let mut request = http::Request::builder()
        .uri("/people/7")
        .body(Chunks::new([]))
        .unwrap();
    request
        .extensions_mut()
        .insert(PeerAddr(IpAddr::from([198, 51, 100, 1])));
    let response = service.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    (status, bytes(response.into_body()).await)
}

fn check(policy: &PolicySet, body: &[u8], cuts: &[usize]) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let chunks = support::chunked(body, cuts);
    let (status, answered) = runtime.block_on(through_layer(policy, chunks));
    let peer = IpAddr::from([198, 51, 100, 1]);
    let decision = policy.decide(&Request::new("GET", "/people/7", peer));
    match policy.mask_response(&decision, body, &MaskConfig::default()) {
        Ok(masked) => {
            prop_assert_eq!(status, 200);
            prop_assert_eq!(&answered[..], &masked[..]);
        }
        Err(_) => {
            prop_assert_eq!(status, 502);
            let problem: Value = serde_json::from_slice(&answered).unwrap();
            prop_assert_eq!(&problem["reason"], "response_withheld");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_layer_masks_as_mask_response_does(
        document in document(),
        pretty in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let policy = PolicySet::from_source("people.gate", POLICY).unwrap();
        let body = if pretty {
            serde_json::to_vec_pretty(&document).unwrap()
        } else {
            serde_json::to_vec(&document).unwrap()
        };
        check(&policy, &body, &cuts)?;
    }

    #[test]
    fn cut_or_broken_bodies_are_withheld_as_mask_response_refuses_them(
        document in document(),
        keep in any::<usize>(),
        garbage in "[\\[\\]{}\",:a-z0-9]{0,4}",
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let policy = PolicySet::from_source("people.gate", POLICY).unwrap();
        let mut body = serde_json::to_vec(&document).unwrap();
        body.truncate(keep % (body.len() + 1));
        body.extend_from_slice(garbage.as_bytes());
        check(&policy, &body, &cuts)?;
    }
}
