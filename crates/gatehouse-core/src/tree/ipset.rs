//! CIDR sets as binary prefix tries, one per address family.
//!
//! A lookup walks at most 32 (IPv4) or 128 (IPv6) bits and stops at the
//! first stored prefix or missing branch, so its cost does not grow with the
//! number of networks. Sets of up to [`SMALL`] networks (the usual
//! `deny from` line) are also kept as (address, mask) pairs and checked with
//! a few AND instructions, which beats walking the trie bit by bit. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are
//! looked up as IPv4, so a mapped address cannot slip past an IPv4 rule.

use std::net::IpAddr;

use ipnet::IpNet;

#[derive(Clone, Debug, Default)]
pub struct IpSet {
    v4: PrefixTrie,
    v6: PrefixTrie,
    networks: Vec<IpNet>,
    /// For small sets: (is IPv4, network bits, mask), in the u128 layout of
    /// the tries; empty when the set is large.
    small: Vec<(bool, u128, u128)>,
}

/// Sets up to this size are checked linearly.
pub const SMALL: usize = 8;

fn mask(prefix_len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(prefix_len))
        .unwrap_or(0)
}

impl IpSet {
    pub fn new(networks: &[IpNet]) -> IpSet {
        let mut set = IpSet::default();
        for net in networks {
            set.insert(*net);
        }
        set
    }

    pub fn insert(&mut self, net: IpNet) {
        let entry = match net {
            IpNet::V4(n) => {
                let bits = u128::from(u32::from(n.network())) << 96;
                self.v4.insert(bits, n.prefix_len());
                (true, bits, mask(n.prefix_len()))
            }
            IpNet::V6(n) => {
                let bits = u128::from(n.network());
                self.v6.insert(bits, n.prefix_len());
                (false, bits, mask(n.prefix_len()))
            }
        };
        self.networks.push(net);
        if self.networks.len() <= SMALL {
            self.small.push(entry);
        } else {
            self.small.clear();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// The networks as inserted, for explanations.
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (is_v4, bits) = match canonical(ip) {
            IpAddr::V4(v4) => (true, u128::from(u32::from(v4)) << 96),
            IpAddr::V6(v6) => (false, u128::from(v6)),
        };
        if !self.small.is_empty() || self.networks.is_empty() {
            return self
                .small
                .iter()
                .any(|(v4, net, mask)| *v4 == is_v4 && bits & mask == *net);
        }
        if is_v4 {
            self.v4.contains(bits, 32)
        } else {
            self.v6.contains(bits, 128)
        }
    }
}

/// IPv4-mapped IPv6 addresses as IPv4; everything else unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Bits are taken from the top of a u128: IPv4 addresses are shifted up by
/// 96 so both families share the code.
#[derive(Clone, Debug)]
struct PrefixTrie {
    nodes: Vec<Node>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Node {
    children: [Option<u32>; 2],
    /// A stored prefix ends here: every address below matches.
    terminal: bool,
}

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie {
            nodes: vec![Node::default()],
        }
    }
}

fn bit(bits: u128, depth: u8) -> usize {
    usize::from((bits >> (127 - u32::from(depth))) & 1 == 1)
}

impl PrefixTrie {
    fn insert(&mut self, bits: u128, prefix_len: u8) {
        let mut node = 0usize;
        for depth in 0..prefix_len.min(128) {
            if self.nodes.get(node).is_some_and(|n| n.terminal) {
                return; // a shorter prefix already covers this one
            }
            let b = bit(bits, depth);
            let next = self
                .nodes
                .get(node)
                .and_then(|n| n.children.get(b).copied().flatten());
            node = match next {
                Some(child) => child as usize,
                None => {
                    let child = self.nodes.len();
                    self.nodes.push(Node::default());
                    if let Some(slot) = self.nodes.get_mut(node).and_then(|n| n.children.get_mut(b))
                    {
                        *slot = Some(u32::try_from(child).unwrap_or(u32::MAX));
                    }
                    child
                }
            };
        }
        if let Some(n) = self.nodes.get_mut(node) {
            n.terminal = true;
            n.children = [None, None];
        }
    }

    fn contains(&self, bits: u128, width: u8) -> bool {
        let mut node = 0usize;
        let mut depth = 0u8;
        loop {
            let Some(n) = self.nodes.get(node) else {
                return false;
            };
            if n.terminal {
                return true;
            }
            if depth >= width {
                return false;
            }
            match n.children.get(bit(bits, depth)).copied().flatten() {
                Some(child) => node = child as usize,
                None => return false,
            }
            depth += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(nets: &[&str]) -> IpSet {
        IpSet::new(&nets.iter().map(|n| n.parse().unwrap()).collect::<Vec<_>>())
    }

    #[test]
    fn matches_prefixes_of_both_families() {
        let s = set(&[
            "10.0.0.0/8",
            "192.168.1.0/24",
            "2001:db8::/32",
            "203.0.113.7/32",
        ]);
        assert!(s.contains("10.1.2.3".parse().unwrap()));
        assert!(s.contains("192.168.1.255".parse().unwrap()));
        assert!(!s.contains("192.168.2.1".parse().unwrap()));
        assert!(s.contains("203.0.113.7".parse().unwrap()));
        assert!(!s.contains("203.0.113.8".parse().unwrap()));
        assert!(s.contains("2001:db8::1".parse().unwrap()));
        assert!(!s.contains("2001:db9::1".parse().unwrap()));
        assert!(
            s.contains("::ffff:10.9.9.9".parse().unwrap()),
            "mapped addresses are IPv4"
        );
        assert!(!set(&[]).contains("10.0.0.1".parse().unwrap()));
        assert!(set(&["0.0.0.0/0"]).contains("8.8.8.8".parse().unwrap()));
        assert!(!set(&["0.0.0.0/0"]).contains("::1".parse().unwrap()));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_ipnet(nets in proptest::collection::vec((proptest::num::u32::ANY, 0u8..=32), 0..24), probe: u32) {
            let nets: Vec<IpNet> = nets.iter()
                .map(|(a, len)| IpNet::V4(ipnet::Ipv4Net::new((*a).into(), *len).unwrap().trunc()))
                .collect();
            let s = IpSet::new(&nets);
            let ip = IpAddr::V4(probe.into());
            proptest::prop_assert_eq!(s.contains(ip), nets.iter().any(|n| n.contains(&ip)));
        }
    }
}
