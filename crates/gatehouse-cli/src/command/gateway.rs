//! `gatehouse gateway`: a gateway's configuration for the policy's APIs,
//! printed by [`gatehouse_server::gateway::render`].

use gatehouse_server::gateway::{self, Gateway, Options};

use crate::args::{GatewayArgs, GatewayKind};
use crate::exit::Exit;
use crate::load;
use crate::render::Style;

pub fn run(args: &GatewayArgs) -> Exit {
    let policy = match load::policy_set(&args.paths, Style { color: false }) {
        Ok(policy) => policy,
        Err(exit) => return exit,
    };
    let kind = match args.gateway {
        GatewayKind::Nginx => Gateway::Nginx,
        GatewayKind::Caddy => Gateway::Caddy,
        GatewayKind::Traefik => Gateway::Traefik,
        GatewayKind::Envoy => Gateway::Envoy,
    };
    let options = Options {
        gatehouse: args.gatehouse.clone(),
        grpc: args.grpc.clone(),
        upstream: args.upstream.clone(),
        listen: args.listen.clone(),
        max_request_bytes: args.max_request_bytes,
    };
    super::emit(&gateway::render(kind, &policy, &options))
}
